// HEIF (HEVC) and AVIF (AV1) through libheif's C API.
//
// Orientation: libheif applies the container's transformations (irot rotation, imir mirror,
// clap crop) while decoding, and that is the orientation the HEIF specification defines. An
// Exif Orientation tag in these files only repeats it for software that ignores irot, so it
// is never applied on top (an iPhone HEIC has irot 270 AND Orientation 6: applying both turns
// the picture twice). The size reported is libheif's output size.
//
// Limits, in order: libheif's own per-side security limit (32768, set explicitly), then the
// primary image's declared size (its ispe box, and the size after rotation/crop) against our
// pixel budget before anything is decoded - a 1.3 KB AVIF declaring 17000x17000 stops there.
// libheif decodes grid tiles on this thread only (max decoding threads 0): parallelism comes
// from the decode pool running several files at once, not from threads inside one decode.
//
// Metadata: the primary image's Exif item and its XMP (a "mime" item of content type
// application/rdf+xml), both read through the handle the decode already has.
//
// Pixels: the primary image converted by libheif to 8-bit interleaved RGB (10/12-bit samples
// reduced by libheif, alpha dropped without compositing, YCbCr matrix from the file's nclx).

#include "decoders.h"
#include "imaging_log.h"
#include "metadata_sources.h"
#include "xmp_metadata.h"

#include <libheif/heif.h>

#include <QByteArray>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace imago::detail {

namespace {

// libheif's default per-side limit (heif_limits.h MAX_IMAGE_WIDTH/HEIGHT); never loosened.
constexpr int kHeifMaxSide = 32768;
// Exif items larger than this are not read (real ones are a few KB; the file size bounds it
// anyway, this keeps a hostile item from costing a big copy).
constexpr std::size_t kMaxExifItemBytes = 4u << 20;
// A file with more metadata items than this on its primary image is not looked through further.
constexpr int kMaxMimeItems = 16;

Reason decodeError(const QString &format, const QString &detail)
{
    return makeReason(reason::kCorrupt, QStringLiteral("%1 decode failed: %2").arg(format, detail),
                      {format, detail});
}

void ensureHeifInitialised()
{
    // Reference-counted in libheif; one process-wide initialisation, never undone (decode
    // threads may be mid-file at exit). Registers the built-in decoders and any plugins.
    static const bool initialised = [] {
        heif_init(nullptr);
        return true;
    }();
    (void)initialised;
}

struct ContextDeleter
{
    void operator()(heif_context *c) const { heif_context_free(c); }
};
struct HandleDeleter
{
    void operator()(heif_image_handle *h) const { heif_image_handle_release(h); }
};
struct ImageDeleter
{
    void operator()(heif_image *i) const { heif_image_release(i); }
};
struct OptionsDeleter
{
    void operator()(heif_decoding_options *o) const { heif_decoding_options_free(o); }
};

QString describe(const heif_error &e)
{
    const QString text = QString::fromUtf8(e.message ? e.message : "").trimmed();
    return text.isEmpty()
               ? QStringLiteral("libheif error %1.%2").arg(int(e.code)).arg(int(e.subcode))
               : text;
}

struct Primary
{
    std::unique_ptr<heif_context, ContextDeleter> context;
    std::unique_ptr<heif_image_handle, HandleDeleter> handle;
    Reason error;
};

// Parses the container (no pixels yet) and finds the primary image.
Primary openPrimary(Bytes bytes, const QString &format)
{
    ensureHeifInitialised();
    Primary p;
    p.context.reset(heif_context_alloc());
    if (!p.context) {
        p.error =
            makeReason(reason::kDecoderError,
                       QStringLiteral("cannot initialise the %1 decoder").arg(format), {format});
        return p;
    }
    heif_context_set_maximum_image_size_limit(p.context.get(), kHeifMaxSide);
    heif_context_set_max_decoding_threads(p.context.get(), 0);
    // The bytes outlive the context (it is freed before this file's decode returns).
    heif_error err = heif_context_read_from_memory_without_copy(p.context.get(), bytes.data(),
                                                                bytes.size(), nullptr);
    if (err.code == heif_error_Memory_allocation_error &&
        err.subcode == heif_suberror_Security_limit_exceeded) {
        // The sides are not known here (libheif refused before saying them).
        p.error =
            makeReason(reason::kSideTooLong,
                       QStringLiteral("%1 declares an image over libheif's %2-pixel side limit: %3")
                           .arg(format)
                           .arg(kHeifMaxSide)
                           .arg(describe(err)),
                       {QString(), QString(), QString::number(kHeifMaxSide)});
        return p;
    }
    if (err.code != heif_error_Ok) {
        // A file cut short says so in libheif's subcode; other damage is "broken".
        p.error =
            err.subcode == heif_suberror_End_of_data
                ? makeReason(reason::kTruncated,
                             QStringLiteral("truncated %1 file: %2").arg(format, describe(err)),
                             {format})
                : makeReason(reason::kCorrupt,
                             QStringLiteral("broken %1 file: %2").arg(format, describe(err)),
                             {format, describe(err)});
        return p;
    }
    heif_image_handle *handle = nullptr;
    err = heif_context_get_primary_image_handle(p.context.get(), &handle);
    p.handle.reset(handle);
    if (err.code != heif_error_Ok || !handle)
        p.error = makeReason(
            reason::kCorrupt,
            QStringLiteral("broken %1 file (no primary image): %2").arg(format, describe(err)),
            {format, describe(err)});
    return p;
}

QByteArray exifOf(const heif_image_handle *handle)
{
    heif_item_id id = 0;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1)
        return {};
    const std::size_t size = heif_image_handle_get_metadata_size(handle, id);
    if (size < 4 || size > kMaxExifItemBytes)
        return {};
    QByteArray item(qsizetype(size), Qt::Uninitialized);
    if (heif_image_handle_get_metadata(handle, id, item.data()).code != heif_error_Ok)
        return {};
    // ISO/IEC 23008-12 Annex A: a 4-byte big-endian offset from the end of that field to the
    // TIFF header (usually 6, skipping "Exif\0\0"). Some writers get it wrong; then look for
    // the header in the first bytes.
    const Bytes b(reinterpret_cast<const std::uint8_t *>(item.constData()), size);
    const std::uint64_t offset = 4 + std::uint64_t(readU32(b, 0, true).value_or(0));
    const auto isTiffHeader = [&](std::uint64_t at) {
        return at < size && (startsWith(b, std::size_t(at), {"II*\0", 4}) ||
                             startsWith(b, std::size_t(at), {"MM\0*", 4}));
    };
    std::uint64_t start = offset;
    if (!isTiffHeader(start)) {
        start = 4;
        while (start < std::min<std::uint64_t>(size, 64) && !isTiffHeader(start))
            ++start;
        if (!isTiffHeader(start))
            return {};
    }
    return item.sliced(qsizetype(start));
}

QByteArray xmpOf(const heif_image_handle *handle)
{
    std::array<heif_item_id, kMaxMimeItems> ids{};
    const int n =
        heif_image_handle_get_list_of_metadata_block_IDs(handle, "mime", ids.data(), kMaxMimeItems);
    for (int i = 0; i < std::min(n, kMaxMimeItems); ++i) {
        const char *type = heif_image_handle_get_metadata_content_type(handle, ids[i]);
        if (!type || std::strcmp(type, "application/rdf+xml") != 0)
            continue;
        const std::size_t size = heif_image_handle_get_metadata_size(handle, ids[i]);
        if (size == 0 || size > kMaxXmpPacketBytes)
            return {};
        QByteArray item(qsizetype(size), Qt::Uninitialized);
        if (heif_image_handle_get_metadata(handle, ids[i], item.data()).code != heif_error_Ok)
            return {};
        return item;
    }
    return {};
}

MetadataBlocks metadataBlocksOf(const heif_image_handle *handle)
{
    MetadataBlocks blocks;
    blocks.setExif(exifOf(handle));
    blocks.setXmp(xmpOf(handle));
    return blocks;
}

} // namespace

QByteArray heifExifBlock(Bytes bytes)
{
    const Primary p = openPrimary(bytes, QStringLiteral("HEIF"));
    return p.handle ? exifOf(p.handle.get()) : QByteArray();
}

MetadataBlocks heifMetadataBlocks(Bytes bytes)
{
    const Primary p = openPrimary(bytes, QStringLiteral("HEIF"));
    return p.handle ? metadataBlocksOf(p.handle.get()) : MetadataBlocks();
}

DecodeResult decodeHeif(Bytes bytes, FileKind kind, const DecodeRequest &req)
{
    const QString format = formatName(kind);
    if (kind == FileKind::Avif && !heif_have_decoder_for_format(heif_compression_AV1))
        return decodeFailure(reason::kUnsupportedFormat,
                             QStringLiteral("unsupported image format: AVIF (this libheif has no "
                                            "AV1 decoder)"),
                             {QStringLiteral("AVIF")});
    if (kind == FileKind::Heif && !heif_have_decoder_for_format(heif_compression_HEVC))
        return decodeFailure(reason::kUnsupportedFormat,
                             QStringLiteral("unsupported image format: HEIF (this libheif has no "
                                            "HEVC decoder)"),
                             {QStringLiteral("HEIF")});
    const Primary p = openPrimary(bytes, format);
    if (!p.error.isEmpty())
        return refuse(p.error);
    const heif_image_handle *handle = p.handle.get();

    // The coded size (ispe) is what the decoder allocates; the displayed size may be smaller
    // (clap) or rotated. Both must fit before a single pixel is decoded.
    const int ispeWidth = heif_image_handle_get_ispe_width(handle);
    const int ispeHeight = heif_image_handle_get_ispe_height(handle);
    const int width = heif_image_handle_get_width(handle);
    const int height = heif_image_handle_get_height(handle);
    if (ispeWidth > 0 && ispeHeight > 0) {
        if (Reason err =
                checkPixelBudget(std::uint64_t(ispeWidth), std::uint64_t(ispeHeight), req.limits);
            !err.isEmpty())
            return refuse(err);
    }
    if (Reason err = checkPixelBudget(std::uint64_t(std::max(width, 0)),
                                      std::uint64_t(std::max(height, 0)), req.limits);
        !err.isEmpty())
        return refuse(err);

    std::unique_ptr<heif_decoding_options, OptionsDeleter> options(heif_decoding_options_alloc());
    if (!options)
        return decodeFailure(reason::kDecoderError,
                             QStringLiteral("cannot initialise the %1 decoder").arg(format),
                             {format});
    options->ignore_transformations = 0; // irot/imir/clap are the orientation (see above)
    options->convert_hdr_to_8bit = 1;
    heif_image *decoded = nullptr;
    const heif_error err = heif_decode_image(handle, &decoded, heif_colorspace_RGB,
                                             heif_chroma_interleaved_RGB, options.get());
    std::unique_ptr<heif_image, ImageDeleter> image(decoded);
    if (err.code != heif_error_Ok || !image)
        return refuse(decodeError(format, describe(err)));

    const int outWidth = heif_image_get_width(image.get(), heif_channel_interleaved);
    const int outHeight = heif_image_get_height(image.get(), heif_channel_interleaved);
    int stride = 0;
    const std::uint8_t *plane =
        heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
    if (!plane || outWidth <= 0 || outHeight <= 0 || stride < outWidth * 3)
        return refuse(decodeError(format, QStringLiteral("no RGB output")));
    if (Reason e = checkPixelBudget(std::uint64_t(outWidth), std::uint64_t(outHeight), req.limits);
        !e.isEmpty())
        return refuse(e);

    DecodedImage out;
    out.format = format;
    out.exifOrientation = 1; // libheif has applied the container's orientation; EXIF is not
    out.orientedWidth = outWidth;
    out.orientedHeight = outHeight;
    out.image.width = outWidth;
    out.image.height = outHeight;
    out.image.pixels.resize(out.image.byteCount());
    for (int y = 0; y < outHeight; ++y)
        std::memcpy(out.image.pixels.data() + std::size_t(y) * out.image.rowBytes(),
                    plane + std::size_t(y) * std::size_t(stride), out.image.rowBytes());
    out.metadata = photoMetadataFrom(metadataBlocksOf(handle));
    return DecodeResult{std::move(out), {}, {}, {}};
}

} // namespace imago::detail
