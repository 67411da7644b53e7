// Registers an emulated kernel under its CUDA name with a body that unpacks cuLaunchKernel-style
// arguments (an array of pointers to each argument's value) into the kernel's typed parameters.
#pragma once
#include <utility>

namespace tdm_emu {
struct Registration {
    Registration(const char* name, void (*body)(void**));
};

template <typename... A, size_t... I>
void call_unpacked(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<A*>(args[I])...);
}

template <auto Kernel, typename... A>
void invoke(void (*)(A...), void** args) {
    call_unpacked(Kernel, args, std::index_sequence_for<A...>{});
}
}  // namespace tdm_emu

#define TDM_EMU_REGISTER(kernel)                                                              \
    static tdm_emu::Registration tdm_emu_registration_##kernel(                               \
        #kernel, [](void** args) { tdm_emu::invoke<kernel>(kernel, args); })
