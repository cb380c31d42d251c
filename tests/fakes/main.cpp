// callcommander-provider-fakes: the Shopify, Square and Google fakes on one HTTPS port, for the
// demo and for manual testing. Runs until SIGTERM or SIGINT.
//
//   callcommander-provider-fakes --cert server.pem --key server.key [--port N] [--demo]
//
// With --demo it loads the demo shop and prints, first, one line of JSON with the base URL and
// the credentials to configure the product with; then, always, "listening on <port>".

#include "tests/fakes/demo_catalogue.h"
#include "tests/fakes/provider_fakes.h"

#include <charconv>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: callcommander-provider-fakes --cert FILE --key FILE [--port N] [--demo]\n"
    "  --cert FILE  PEM certificate (chain) for 127.0.0.1\n"
    "  --key FILE   its PEM private key\n"
    "  --port N     port on 127.0.0.1 (default 0: any free port)\n"
    "  --demo       load the demo shop and print its configuration as one JSON line\n";

struct Options {
    std::string cert;
    std::string key;
    std::uint16_t port = 0;
    bool demo = false;
};

bool parse(const std::vector<std::string>& args, Options& o, std::string& error)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) {
                error = a + " needs a value";
                return false;
            }
            out = args[++i];
            return true;
        };
        if (a == "--cert") {
            if (!value(o.cert)) {
                return false;
            }
        } else if (a == "--key") {
            if (!value(o.key)) {
                return false;
            }
        } else if (a == "--port") {
            std::string text;
            if (!value(text)) {
                return false;
            }
            unsigned port = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
            if (ec != std::errc() || end != text.data() + text.size() || port > 65535) {
                error = "--port is a number from 0 to 65535";
                return false;
            }
            o.port = static_cast<std::uint16_t>(port);
        } else if (a == "--demo") {
            o.demo = true;
        } else if (a == "--help" || a == "-h") {
            error = "help";
            return false;
        } else {
            error = "unknown argument " + a;
            return false;
        }
    }
    if (o.cert.empty() || o.key.empty()) {
        error = "--cert and --key are required";
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    std::string error;
    if (!parse(std::vector<std::string>(argv + 1, argv + argc), options, error)) {
        if (error == "help") {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << "callcommander-provider-fakes: " << error << "\n" << kUsage;
        return 2;
    }

    // Block the signals before any thread starts, so that only sigwait below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    cc::fakes::ProviderFakes fakes(options.cert, options.key);
    try {
        if (options.demo) {
            cc::fakes::loadDemoCatalogue(fakes);
        }
        fakes.start(options.port);
    } catch (const std::exception& e) {
        std::cerr << "callcommander-provider-fakes: " << e.what() << "\n";
        return 1;
    }
    if (options.demo) {
        std::cout << cc::fakes::demoConfiguration(fakes) << "\n";
    }
    std::cout << "listening on " << fakes.port() << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    fakes.stop();
    return 0;
}
