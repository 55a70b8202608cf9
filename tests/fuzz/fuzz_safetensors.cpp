// libFuzzer target: the safetensors header/offset validator on arbitrary bytes.
#include "checkpoint_error.h"
#include "safetensors_reader.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    try {
        const auto c = imago::flava::parseSafetensors({data, size}, "fuzz");
        // Touch every view: a validated view must lie inside the input.
        std::uint64_t sum = 0;
        for (const auto &t : c.tensors)
            for (std::size_t i = 0; i < t.storageBytes; i += 4096)
                sum += t.data[i];
        (void)sum;
    } catch (const imago::flava::CheckpointError &) {
    }
    return 0;
}
