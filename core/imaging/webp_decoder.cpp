// WebP through libwebp's animation decoder (libwebpdemux), for still and animated files
// alike, as Pillow 9.4 reads every WebP: WebPAnimDecoderNew with the default options
// (straight, not premultiplied, RGBA), the first fully reconstructed canvas, then the alpha
// dropped without compositing. Qt's WebP handler got animations wrong in two ways: it draws the
// first frame onto its canvas with QPainter's SourceOver, which turns the colour of every
// fully transparent pixel to black (and rounds partly transparent ones through premultiplied
// 8-bit), and for a file without the alpha flag it leaves the canvas outside a first frame
// smaller than the canvas uninitialised. libwebp starts from a transparent black canvas, as the
// WebP container spec's reference decoder (anim_decode.c) and browsers do; the ANIM background
// colour is a hint that viewers ignore, and so does this decoder.

#include "decoders.h"
#include "exif_orientation.h"
#include "metadata_sources.h"

#include <webp/demux.h>

#include <memory>

namespace imago::detail {

namespace {

const QString kWebp = QStringLiteral("WEBP");

// "WEBP decode failed: <what>" (corrupt), as the Qt readers word a decode failure.
DecodeResult corruptWebp(const QString &what)
{
    return decodeFailure(reason::kCorrupt, QStringLiteral("WEBP decode failed: %1").arg(what),
                         {kWebp, what});
}

struct AnimDecoderDeleter
{
    void operator()(WebPAnimDecoder *d) const { WebPAnimDecoderDelete(d); }
};

} // namespace

DecodeResult decodeWebp(Bytes bytes, const DecodeRequest &req)
{
    const HeaderInfo header = inspectHeader(FileKind::Webp, bytes);
    if (header.size) {
        if (Reason err = checkPixelBudget(header.size->width, header.size->height, req.limits);
            !err.isEmpty())
            return refuse(err);
    }
    if (!header.problem.isEmpty())
        return refuse(header.problem);

    const WebPData data{bytes.data(), bytes.size()};
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options))
        return decodeFailure(reason::kDecoderError,
                             QStringLiteral("cannot initialise the WebP decoder"), {kWebp});
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    // Parses the whole container (every chunk must be complete), decodes nothing yet.
    const std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> decoder(
        WebPAnimDecoderNew(&data, &options));
    WebPAnimInfo info{};
    if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info))
        return corruptWebp(QStringLiteral("broken or truncated WebP container"));
    if (Reason err = checkPixelBudget(info.canvas_width, info.canvas_height, req.limits);
        !err.isEmpty())
        return refuse(err);
    std::uint8_t *canvas = nullptr;
    int timestamp = 0;
    if (!WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp) || !canvas)
        return corruptWebp(QStringLiteral("the first frame does not decode"));

    RgbImage rgb;
    rgb.width = int(info.canvas_width);
    rgb.height = int(info.canvas_height);
    rgb.pixels.resize(rgb.byteCount());
    const std::size_t pixelCount = std::size_t(rgb.width) * std::size_t(rgb.height);
    for (std::size_t i = 0; i < pixelCount; ++i) {
        rgb.pixels[3 * i] = canvas[4 * i];
        rgb.pixels[3 * i + 1] = canvas[4 * i + 1];
        rgb.pixels[3 * i + 2] = canvas[4 * i + 2];
    }

    DecodedImage out;
    out.format = formatName(FileKind::Webp);
    out.exifOrientation = normalizedOrientation(orientationFromWebpExifChunk(bytes));
    const bool swap = orientationSwapsAxes(out.exifOrientation);
    out.orientedWidth = swap ? rgb.height : rgb.width;
    out.orientedHeight = swap ? rgb.width : rgb.height;
    out.image = applyOrientation(std::move(rgb), out.exifOrientation);
    out.metadata = photoMetadataFor(FileKind::Webp, bytes);
    return DecodeResult{std::move(out), {}, {}, {}};
}

} // namespace imago::detail
