// libFuzzer target: config.json parsing with Hugging Face's merge rules.
#include "checkpoint_error.h"
#include "flava_config.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    try {
        imago::flava::FlavaConfig::fromJson(
            std::string_view(reinterpret_cast<const char *>(data), size), "fuzz/config.json");
    } catch (const imago::flava::CheckpointError &) {
    }
    return 0;
}
