// libFuzzer target: the image decode entry point (format sniffing, header checks, every
// decoder) at full size and at the indexer's DCT-scaled size, then the resize.
#include "image_decoder.h"
#include "resize.h"

#include <QByteArrayView>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    imago::DecodeRequest req;
    req.limits.maxPixels = 16u << 20; // keep each run fast; the logic is the same
    for (int minSide : {0, 448}) {
        req.minSide = minSide;
        const imago::DecodeResult r = imago::decodeImageData(bytes, req);
        if (!r.ok()) {
            if (r.error.isEmpty())
                std::abort(); // a refusal must say why
            continue;
        }
        const auto &img = r.decoded->image;
        if (img.width <= 0 || img.height <= 0 ||
            img.pixels.size() != std::size_t(img.width) * img.height * 3)
            std::abort();
        imago::resizeBicubic(img, 32, 32);
    }
    return 0;
}
