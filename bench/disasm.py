#!/usr/bin/env python3
"""Disassembles the C2 code of a HotSpot -XX:CompileCommand=print log when no hsdis library is installed.

Without hsdis the JVM prints each compiled method's code as hex words; this turns the final C2 compilation (tier 4,
not an on-stack-replacement one) of every method whose name contains FILTER back into instructions with objdump,
so a kernel's hot loop can be read: its vector instructions, and what C2 added (bounds checks, spills, calls).

    JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,dev.tandem.core.cpu.Q6_KKernels::range" \\
        ./tandem bench ar --model FILE --tokens 32 > /tmp/print.log 2>&1
    bench/disasm.py /tmp/print.log Q6_KKernels::range

Needs objdump (binutils). Prints one listing per method, addresses as the JVM placed the code.
"""
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HEX_LINE = re.compile(r'\s+0x([0-9a-f]+): ((?:[0-9a-f]{4} ?[0-9a-f]{0,4} ?\|? ?)+)\s*$')


def compilations(lines):
    """(header, start address, code bytes) of every compiled method in the log."""
    current = None
    for line in lines:
        if line.startswith('Compiled method'):
            if current:
                yield current
            current = [line, None, bytearray()]
            continue
        if current is None or ';' in line:
            continue
        m = HEX_LINE.match(line)
        if m:
            address = int(m.group(1), 16)
            if current[1] is None:
                current[1] = address
            gap = address - (current[1] + len(current[2]))
            if gap > 0:
                current[2] += b'\x90' * gap
            current[2] += bytes.fromhex(re.sub(r'[\s|]', '', m.group(2)))
    if current:
        yield current


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if not shutil.which('objdump'):
        sys.exit('disasm: objdump not found (install binutils)')
    wanted = sys.argv[2] if len(sys.argv) > 2 else ''
    with open(sys.argv[1], errors='replace') as f:
        lines = f.read().split('\n')
    last = {}
    for header, start, code in compilations(lines):
        if '(c2)' in header and ' % ' not in header and wanted in header and start is not None:
            last[header.split()[-3]] = (header, start, code)  # the method's name: a later compilation replaces it
    if not last:
        sys.exit('disasm: no C2 compilation matching %r in %s (was the method compiled by C2 while printing?)'
                 % (wanted, sys.argv[1]))
    for header, start, code in last.values():
        with tempfile.NamedTemporaryFile(suffix='.bin') as tmp:
            tmp.write(code)
            tmp.flush()
            out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '--adjust-vma=%#x' % start,
                                  tmp.name], capture_output=True, text=True, check=True).stdout
        print('==', header)
        for row in out.split('\n'):
            parts = row.split('\t')
            if len(parts) >= 3:
                print('  %s  %s' % (parts[0].strip(), '\t'.join(parts[2:])))


if __name__ == '__main__':
    main()
