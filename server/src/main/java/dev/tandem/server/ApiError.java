package dev.tandem.server;

/**
 * An answer other than success, in OpenAI's shape:
 * {@code {"error":{"message":...,"type":...,"param":...,"code":...}}} with an HTTP status. Every failure the
 * server reports goes through one of these; nothing else reaches a client (no stack traces).
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400: a parameter has a value the server does not accept. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_value", param, message);
    }

    /** 400: a parameter OpenAI defines that Tandem does not implement (n > 1, logprobs, penalties...). */
    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", "unsupported_value", param, message);
    }

    static ApiError missing(String param) {
        return new ApiError(400, "invalid_request_error", "missing_required_parameter", param,
                "missing required parameter '" + param + "'");
    }
}
