#include "tls/openssl_errors.h"

#include <openssl/err.h>

namespace berth::tls {

std::string openssl_reasons() {
    std::string reasons;
    while (unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        std::string text = reason ? reason : "error " + std::to_string(code);
        if (reasons.find(text) != std::string::npos) continue;
        if (!reasons.empty()) reasons += "; ";
        reasons += text;
    }
    return reasons.empty() ? "unknown TLS error" : reasons;
}

}  // namespace berth::tls
