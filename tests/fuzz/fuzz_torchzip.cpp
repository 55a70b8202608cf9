// libFuzzer target: a torch.save zip (central directory, local headers) and the restricted
// unpickler behind it. Input starting with "PK" is read as a zip; anything else as a bare pickle.
#include "checkpoint_error.h"
#include "torch_pickle.h"
#include "zip_archive.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace imago::flava;
    try {
        if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
            const ZipArchive zip({data, size}, "fuzz.zip");
            for (const auto &name : zip.names())
                if (name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0)
                    parseTorchStateDict(zip.entry(name), "fuzz.zip");
        } else {
            parseTorchStateDict({data, size}, "fuzz.pkl");
        }
    } catch (const CheckpointError &) {
    }
    return 0;
}
