// libFuzzer target: the unauthenticated edge of the server's auth path, i.e. the sign-in,
// refresh and setup-password request bodies and access-token verification. Any input gets a value
// or a clear refusal; a token is never accepted unless our key signed it.
#include "server/auth/requests.h"
#include "server/auth/tokens.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace cc::server::auth;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto login = parseLoginRequest("application/json", text);
    if (login && (login->email.empty() || login->password.size() > 256)) {
        std::abort();
    }
    (void)parseRefreshRequest("application/json; charset=utf-8", text);
    auto setup = parseSetupPasswordRequest("application/json", text);
    if (setup && (setup->code.empty() || setup->password.size() > 256)) {
        std::abort();
    }

    static const TokenSigner signer({{"k1", std::string(32, 'k')}});
    auto claims = signer.verify(text, 1800000000);
    if (claims) {
        // Only possible if the fuzzer forged an HMAC-SHA256: treat as a bug either way.
        std::abort();
    }
    (void)parseSigningKeys(text);
    return 0;
}
