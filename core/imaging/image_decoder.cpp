#include "image_decoder.h"

#include "decoders.h"
#include "format_sniffer.h"
#include "imaging_log.h"

#include <QFile>

#include <limits>
#include <new>

namespace imago {

namespace detail {

Reason checkPixelBudget(std::uint64_t width, std::uint64_t height, const DecodeLimits &limits)
{
    const QString w = QString::number(width), h = QString::number(height);
    if (width == 0 || height == 0)
        return makeReason(reason::kEmptyImage,
                          QStringLiteral("declares an empty %1x%2 image").arg(w, h), {w, h});
    // Both sides come from at most 32-bit header fields, so the product fits in 64 bits.
    const std::uint64_t pixels = width * height;
    if (pixels > limits.maxPixels) {
        const QString mp = QString::number(double(limits.maxPixels) / 1e6, 'g', 3);
        return makeReason(
            reason::kTooManyPixels,
            QStringLiteral("declares %1x%2 pixels, over the %3 MP limit").arg(w, h, mp),
            {w, h, mp});
    }
    // A resize pass needs about 4 taps per source sample of the long side, so a
    // 100,000,000 x 1 "image" within the pixel budget would still ask for gigabytes.
    if (width > kMaxImageSide || height > kMaxImageSide) {
        const QString side = QString::number(kMaxImageSide);
        return makeReason(
            reason::kSideTooLong,
            QStringLiteral("declares %1x%2 pixels, a side over the %3-pixel limit").arg(w, h, side),
            {w, h, side});
    }
    return {};
}

DecodeResult refuse(Reason why)
{
    return DecodeResult{std::nullopt, std::move(why.text), std::move(why.code),
                        std::move(why.args)};
}

} // namespace detail

DecodeResult decodeFailure(const char *code, QString message, QStringList args)
{
    return detail::refuse(makeReason(code, std::move(message), std::move(args)));
}

namespace detail {

} // namespace detail

namespace {

QString megabytes(std::uint64_t bytes)
{
    return QString::number(double(bytes) / double(1 << 20), 'f', 1);
}

DecodeResult emptyFile()
{
    return decodeFailure(reason::kEmptyFile, QStringLiteral("empty file (0 bytes)"));
}

DecodeResult fileTooLarge(std::uint64_t bytes, std::uint64_t limit)
{
    return detail::refuse(fileTooLargeReason(bytes, limit));
}

} // namespace

Reason fileTooLargeReason(std::uint64_t bytes, std::uint64_t limit)
{
    const QString size = megabytes(bytes), max = megabytes(limit);
    return makeReason(reason::kFileTooLarge,
                      QStringLiteral("file is %1 MB, over the %2 MB limit").arg(size, max),
                      {size, max});
}

DecodeResult decodeImageData(QByteArrayView bytes, const DecodeRequest &req)
{
    using namespace detail;
    const Bytes b(reinterpret_cast<const std::uint8_t *>(bytes.data()),
                  static_cast<std::size_t>(bytes.size()));
    if (b.empty())
        return emptyFile();
    if (b.size() > req.limits.maxFileBytes)
        return fileTooLarge(b.size(), req.limits.maxFileBytes);

    const SniffResult sniffed = sniffFormat(b);
    try {
        switch (sniffed.kind) {
        case FileKind::Jpeg:
            return decodeJpeg(b, req);
        case FileKind::Png:
        case FileKind::Gif:
        case FileKind::Bmp:
        case FileKind::Ico:
        case FileKind::Pnm:
            return decodeWithQt(b, sniffed.kind, req);
        case FileKind::Webp:
            return decodeWebp(b, req);
        case FileKind::Tiff:
            return decodeTiff(b, req);
        case FileKind::Heif:
        case FileKind::Avif:
            return decodeHeif(b, sniffed.kind, req);
        case FileKind::CameraRaw:
            return decodeFailure(
                reason::kCameraRaw,
                QStringLiteral("camera RAW files are not supported (%1)").arg(sniffed.description),
                {sniffed.description});
        case FileKind::UnsupportedImage:
            return decodeFailure(
                reason::kUnsupportedFormat,
                QStringLiteral("unsupported image format: %1").arg(sniffed.description),
                {sniffed.description});
        case FileKind::NotImage:
        case FileKind::Unknown:
            break;
        }
    } catch (const std::bad_alloc &) {
        // Within the pixel budget but more than this machine can give right now.
        return decodeFailure(reason::kOutOfMemory, QStringLiteral("out of memory while decoding"));
    }
    return decodeFailure(reason::kNotAnImage,
                         QStringLiteral("not an image: %1").arg(sniffed.description),
                         {sniffed.description});
}

bool looksLikePhoto(QByteArrayView head)
{
    using namespace detail;
    const Bytes b(reinterpret_cast<const std::uint8_t *>(head.data()),
                  static_cast<std::size_t>(head.size()));
    switch (sniffFormat(b).kind) {
    case FileKind::Jpeg:
    case FileKind::Png:
    case FileKind::Gif:
    case FileKind::Bmp:
    case FileKind::Webp:
    case FileKind::Tiff:
    case FileKind::Ico:
    case FileKind::Pnm:
    case FileKind::Heif:
    case FileKind::Avif:
    case FileKind::CameraRaw:
        return true;
    case FileKind::UnsupportedImage:
    case FileKind::NotImage:
    case FileKind::Unknown:
        break;
    }
    return false;
}

DecodeResult decodeImageFile(const QString &path, const DecodeRequest &req)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return decodeFailure(reason::kUnreadable,
                             QStringLiteral("cannot open: %1").arg(file.errorString()),
                             {file.errorString()});
    const qint64 size = file.size();
    if (size <= 0)
        return emptyFile();
    if (std::uint64_t(size) > req.limits.maxFileBytes)
        return fileTooLarge(std::uint64_t(size), req.limits.maxFileBytes);

    QByteArray data;
    try {
        data.resize(size);
    } catch (const std::bad_alloc &) {
        return decodeFailure(reason::kOutOfMemory,
                             QStringLiteral("out of memory while reading the file"));
    }
    qint64 done = 0;
    while (done < size) {
        const qint64 n = file.read(data.data() + done, size - done);
        if (n <= 0)
            return decodeFailure(reason::kUnreadable,
                                 QStringLiteral("read error after %1 of %2 bytes: %3")
                                     .arg(done)
                                     .arg(size)
                                     .arg(file.errorString()),
                                 {file.errorString()});
        done += n;
    }
    DecodeResult result = decodeImageData(data, req);
    if (!result.ok())
        qCDebug(lcImaging) << path << "not decoded:" << result.error;
    return result;
}

} // namespace imago
