// JPEG through the TurboJPEG C API. TurboJPEG reports libjpeg errors as return codes (its
// error manager longjmps back into the API call), so a hostile file can never reach libjpeg's
// default error_exit -> exit() path. The sampling layouts TurboJPEG refuses go through the
// libjpeg API instead (libjpeg_decoder.cpp, with its own longjmp error manager).

#include "decoders.h"
#include "exif_orientation.h"
#include "imaging_log.h"
#include "metadata_sources.h"

#include <turbojpeg.h>

#include <memory>

namespace imago::detail {

namespace {

struct TjDeleter
{
    void operator()(void *handle) const { tjDestroy(handle); }
};

// A fresh decompressor for every file. A reused one keeps the Huffman and quantisation tables
// of the file before: libjpeg fills in the standard Huffman tables (Annex K.3) only for slots
// that are still empty, so a Motion JPEG frame, which leaves out its DHT, was decoded with the
// previous photo's tables (garbage pixels, no error). TurboJPEG 2.1 also leaves a handle in
// a broken state after some header errors ("two SOI markers" on the next file). Creating one
// costs a few small allocations, nothing next to a decode.
using TjHandle = std::unique_ptr<void, TjDeleter>;

QString tjError(tjhandle handle)
{
    return QString::fromLocal8Bit(tjGetErrorStr2(handle)).trimmed();
}

// libjpeg's JWRN_JPEG_EOF: the data ended before the image did.
bool isTruncationWarning(const QString &message)
{
    return message.startsWith(QLatin1String("Premature end of JPEG file"));
}

// Pillow un-inverts every 4-channel JPEG (it assumes Adobe's inverted CMYK) and converts with
// Convert.c cmyk2rgb: out = nk - MULDIV255(c, nk), nk = 255 - k. TurboJPEG hands over the
// stored (inverted) samples, so c = 255 - stored, nk = stored k. Converts in place from 4 to
// 3 bytes per pixel; safe front to back because pixel i is written at 3i <= 4i.
void convertAdobeCmykInPlace(std::uint8_t *px, std::size_t pixelCount)
{
    for (std::size_t i = 0; i < pixelCount; ++i) {
        const std::uint8_t *s = px + 4 * i;
        const int nk = s[3];
        const int c[3] = {255 - s[0], 255 - s[1], 255 - s[2]};
        std::uint8_t *d = px + 3 * i;
        for (int ch = 0; ch < 3; ++ch) {
            const int t = c[ch] * nk + 128;
            const int v = nk - ((t + (t >> 8)) >> 8);
            d[ch] = static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
}

// Gray -> R=G=B in place, back to front because pixel i moves to 3i >= i.
void expandGrayInPlace(std::uint8_t *px, std::size_t pixelCount)
{
    for (std::size_t i = pixelCount; i-- > 0;) {
        const std::uint8_t v = px[i];
        px[3 * i] = v;
        px[3 * i + 1] = v;
        px[3 * i + 2] = v;
    }
}

// TurboJPEG picks the first factor of its list (largest first) whose output fits in the size
// asked for; make sure that is exactly 1/scale, not a neighbour with the same rounded size.
bool turboPicksScale(int width, int height, int scale)
{
    int count = 0;
    const tjscalingfactor *factors = tjGetScalingFactors(&count);
    const int tw = (width + scale - 1) / scale, th = (height + scale - 1) / scale;
    for (int i = 0; factors && i < count; ++i) {
        if (TJSCALED(width, factors[i]) <= tw && TJSCALED(height, factors[i]) <= th)
            return factors[i].num == 1 && factors[i].denom == scale;
    }
    return false;
}

const QString kJpeg = QStringLiteral("JPEG");

// A failure once libjpeg has looked at the data (kept apart from the checks before it).
DecodeResult decoderFailure(Reason why)
{
    return refuse(std::move(why));
}

Reason unsupportedJpeg(QString feature)
{
    return makeReason(reason::kUnsupportedFeature,
                      QStringLiteral("unsupported JPEG: %1").arg(feature), {kJpeg, feature});
}

// libjpeg's message as the reason: "broken JPEG: ...", except for a libjpeg built without
// arithmetic decoding (Debian's has it; testimgari.jpg decodes), whose refusal is not damage.
Reason jpegError(const QString &message)
{
    if (message.contains(QLatin1String("arithmetic coding is not implemented")))
        return unsupportedJpeg(QStringLiteral("arithmetic coding (%1)").arg(message));
    return makeReason(reason::kCorrupt, QStringLiteral("broken JPEG: %1").arg(message),
                      {kJpeg, message});
}

Reason truncatedJpeg()
{
    return makeReason(reason::kTruncated,
                      QStringLiteral("truncated JPEG (the data ends before the image)"), {kJpeg});
}

// What this libjpeg-turbo (8-bit, Debian 2.1) cannot decode, named from the frame header so
// the user reads "12-bit JPEG" rather than libjpeg's "Unsupported JPEG data precision 12".
// Empty when the frame is one it handles (or when libjpeg should have the last word).
Reason unsupportedJpegProcess(const JpegMarkers &m)
{
    if (!m.hasFrame)
        return {};
    const bool lossless =
        m.frameType == 3 || m.frameType == 7 || m.frameType == 11 || m.frameType == 15;
    if (lossless)
        return unsupportedJpeg(QStringLiteral("lossless JPEG (SOF%1, %2-bit) is not supported")
                                   .arg(m.frameType)
                                   .arg(m.precision));
    if (m.precision != 8)
        return unsupportedJpeg(
            QStringLiteral("%1-bit samples (only 8-bit JPEGs are supported)").arg(m.precision));
    if (m.frameType == 5 || m.frameType == 6 || m.frameType == 13 || m.frameType == 14)
        return unsupportedJpeg(QStringLiteral("hierarchical JPEG (SOF%1)").arg(m.frameType));
    return {};
}

// The end of both decode paths: `out.image` holds the decoded samples (`channels` bytes a
// pixel, the buffer at least 3 bytes a pixel for gray); to RGB, then the EXIF orientation.
DecodeResult finishJpeg(DecodedImage out, int channels, const JpegMarkers &markers, int width,
                        int height)
{
    const std::size_t pixelCount = std::size_t(out.image.width) * std::size_t(out.image.height);
    if (channels == 1) {
        expandGrayInPlace(out.image.pixels.data(), pixelCount);
    } else if (channels == 4) {
        convertAdobeCmykInPlace(out.image.pixels.data(), pixelCount);
        out.image.pixels.resize(pixelCount * 3);
    }

    const int orientation = normalizedOrientation(
        markers.exif.empty() ? std::nullopt : orientationFromExifBlock(markers.exif));
    const bool swap = orientationSwapsAxes(orientation);
    out.exifOrientation = orientation;
    out.orientedWidth = swap ? height : width;
    out.orientedHeight = swap ? width : height;
    out.image = applyOrientation(std::move(out.image), orientation);
    out.metadata = photoMetadataFrom(jpegMetadataBlocks(markers));
    return DecodeResult{std::move(out), {}, {}, {}};
}

// tjDecompressHeader3 refuses sampling factors it has no TJSAMP for, before decoding
// anything; libjpeg decodes them (libjpeg_decoder.cpp).
bool turboRefusesSampling(const QString &message)
{
    return message.contains(QLatin1String("Could not determine subsampling type"));
}

DecodeResult decodeWithLibjpeg(Bytes bytes, const JpegMarkers &markers, const DecodeRequest &req)
{
    LibjpegImage decoded = decodeJpegWithLibjpeg(bytes, req.minSide, req.limits);
    if (decoded.truncated)
        return refuse(truncatedJpeg());
    if (!decoded.error.isEmpty())
        return refuse(jpegError(decoded.error));
    if (!decoded.sizeError.isEmpty())
        return refuse(decoded.sizeError);
    if (!decoded.warning.isEmpty())
        qCDebug(lcImaging) << "JPEG decoded despite a libjpeg warning:" << decoded.warning;
    DecodedImage out;
    out.format = kJpeg;
    out.image.width = decoded.outWidth;
    out.image.height = decoded.outHeight;
    out.image.pixels = std::move(decoded.pixels);
    if (decoded.channels == 1)
        out.image.pixels.resize(out.image.pixels.size() * 3);
    return finishJpeg(std::move(out), decoded.channels, markers, decoded.width, decoded.height);
}

} // namespace

int jpegDraftScale(int width, int height, int minSide)
{
    if (minSide <= 0)
        return 1;
    const int fit = std::min(width / minSide, height / minSide);
    for (int s : {8, 4, 2})
        if (fit >= s)
            return s;
    return 1;
}

JpegMarkers scanJpegMarkers(Bytes b)
{
    static constexpr std::string_view kXmpHeader("http://ns.adobe.com/xap/1.0/\0", 29);
    static constexpr std::string_view kPhotoshopHeader("Photoshop 3.0\0", 14);
    JpegMarkers m;
    std::size_t pos = 2; // after SOI
    while (pos < b.size()) {
        // libjpeg skips garbage up to the next 0xFF (with a warning) and any fill bytes.
        while (pos < b.size() && b[pos] != 0xFF)
            ++pos;
        while (pos < b.size() && b[pos] == 0xFF)
            ++pos;
        if (pos >= b.size())
            break;
        const std::uint8_t marker = b[pos++];
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
            continue; // standalone markers
        if (marker == 0xDA || marker == 0xD9)
            break; // start of scan / end of image: headers are over
        const auto length = readU16(b, pos, true);
        if (!length || *length < 2)
            break;
        const Bytes payload =
            b.subspan(pos + 2, std::min<std::size_t>(*length - 2, b.size() - pos - 2));
        const bool isSof =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (isSof && !m.hasFrame && payload.size() >= 6) {
            m.hasFrame = true;
            m.frameType = marker - 0xC0;
            m.precision = payload[0];
            m.height = static_cast<int>(*readU16(payload, 1, true));
            m.width = static_cast<int>(*readU16(payload, 3, true));
            m.components = payload[5];
        } else if (marker == 0xE1 && m.exif.empty() && startsWith(payload, 0, {"Exif\0", 5})) {
            m.exif = payload; // Pillow keeps the first one
        } else if (marker == 0xE1 && m.xmp.empty() && startsWith(payload, 0, kXmpHeader)) {
            m.xmp = payload.subspan(kXmpHeader.size());
        } else if (marker == 0xED && m.photoshopResources.empty() &&
                   startsWith(payload, 0, kPhotoshopHeader)) {
            m.photoshopResources = payload.subspan(kPhotoshopHeader.size());
        }
        pos += *length;
    }
    return m;
}

DecodeResult decodeJpeg(Bytes bytes, const DecodeRequest &req)
{
    // The frame header is checked against the budget before libjpeg sees the file: libjpeg
    // itself would accept 60000x60000 and allocate for it.
    const JpegMarkers markers = scanJpegMarkers(bytes);
    if (markers.hasFrame) {
        if (Reason err = checkPixelBudget(std::uint64_t(markers.width),
                                          std::uint64_t(markers.height), req.limits);
            !err.isEmpty())
            return refuse(err);
    }

    const TjHandle handle(tjInitDecompress());
    tjhandle tj = handle.get();
    if (!tj)
        return decodeFailure(reason::kDecoderError,
                             QStringLiteral("cannot initialise the JPEG decoder"), {kJpeg});
    const auto *data = bytes.data();
    const auto size = static_cast<unsigned long>(bytes.size());

    int width = 0, height = 0, subsampling = -1, colorspace = -1;
    if (Reason unsupported = unsupportedJpegProcess(markers); !unsupported.isEmpty())
        return refuse(unsupported);
    if (tjDecompressHeader3(tj, data, size, &width, &height, &subsampling, &colorspace) != 0) {
        // A warning (e.g. stray bytes between markers) still fills in the header fields.
        const QString message = tjError(tj);
        if (turboRefusesSampling(message))
            return decodeWithLibjpeg(bytes, markers, req);
        if (tjGetErrorCode(tj) != TJERR_WARNING || width <= 0 || height <= 0 || colorspace < 0) {
            return decoderFailure(jpegError(message));
        }
    }
    if (width <= 0 || height <= 0)
        return decoderFailure(jpegError(QStringLiteral("no image in the data stream")));
    if (Reason err = checkPixelBudget(std::uint64_t(width), std::uint64_t(height), req.limits);
        !err.isEmpty())
        return decoderFailure(err);

    int scale = jpegDraftScale(width, height, req.minSide);
    if (scale > 1 && !turboPicksScale(width, height, scale))
        scale = 1;
    const int outW = (width + scale - 1) / scale, outH = (height + scale - 1) / scale;

    const bool gray = colorspace == TJCS_GRAY;
    const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    const int pixelFormat = gray ? TJPF_GRAY : (cmyk ? TJPF_CMYK : TJPF_RGB);
    const std::size_t pixelCount = std::size_t(outW) * std::size_t(outH);

    DecodedImage out;
    out.format = kJpeg;
    out.image.width = outW;
    out.image.height = outH;
    // One buffer for the decode and the RGB result: CMYK shrinks and gray grows in place.
    out.image.pixels.resize(pixelCount * (cmyk ? 4 : 3));

    // First attempt stops at the first libjpeg warning, so a clean file is decoded once and a
    // file with warnings can be classified: TurboJPEG reports a fatal error that follows a
    // warning as TJERR_WARNING too, so the only way to tell "decoded with warnings" from
    // "failed after a warning" is to see whether a full decode ends on that same message.
    const int flags = TJFLAG_LIMITSCANS; // refuses progressive files with > 500 scans
    const auto decode = [&](int extraFlags) {
        return tjDecompress2(tj, data, size, out.image.pixels.data(), outW, 0, outH, pixelFormat,
                             flags | extraFlags);
    };
    if (decode(TJFLAG_STOPONWARNING) != 0) {
        const QString first = tjError(tj);
        if (tjGetErrorCode(tj) == TJERR_FATAL)
            return decoderFailure(jpegError(first));
        if (isTruncationWarning(first))
            return decoderFailure(truncatedJpeg());
        if (decode(0) != 0) {
            const QString last = tjError(tj);
            if (tjGetErrorCode(tj) == TJERR_FATAL || last != first)
                return decoderFailure(jpegError(last));
        }
        qCDebug(lcImaging) << "JPEG decoded despite a libjpeg warning:" << first;
    }

    return finishJpeg(std::move(out), gray ? 1 : (cmyk ? 4 : 3), markers, width, height);
}

} // namespace imago::detail
