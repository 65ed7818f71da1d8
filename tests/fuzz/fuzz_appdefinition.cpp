// libFuzzer entry point for the app-definition parser, validator and defaults.
// Not part of the CMake build (it needs clang's -fsanitize=fuzzer). Build it by hand from the
// repository root (one command line):
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fPIC
//       -DQT_NO_CAST_FROM_ASCII -DQT_NO_URL_CAST_FROM_STRING -DQT_NO_FOREACH
//       -I app $(pkg-config --cflags Qt6Core)
//       tests/fuzz/fuzz_appdefinition.cpp app/marathon/appdefinition.cpp
//       app/marathon/appvalidator.cpp $(pkg-config --libs Qt6Core) -o fuzz_appdefinition
//
//   mkdir corpus && cp tests/data/marathon/*.json corpus/
//   ./fuzz_appdefinition -max_len=65536 corpus/

#include "marathon/appdefinition.h"

#include <cstddef>
#include <cstdint>

using namespace pier::marathon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    JsonParseError error;
    const AppDefinition app = AppDefinition::parse(text, &error);
    if (error.isError()) {
        // The position must always lie inside the text.
        if (error.line < 1 || error.column < 1 || error.offset > text.size())
            __builtin_trap();
        return 0;
    }
    (void)validateApp(app);
    const AppDefinition filled(app.withDefaults());
    (void)validateApp(filled);
    (void)filled.toJson();
    (void)app.toJson(false);
    (void)app.portMappings();
    (void)app.healthChecks();
    (void)sameDeployedSpec(app.json(), filled.json());
    return 0;
}
