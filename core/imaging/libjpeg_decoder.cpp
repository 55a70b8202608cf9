// JPEG through the libjpeg API, for the files TurboJPEG's header check refuses although libjpeg
// decodes them: tjDecompressHeader3 classifies the sampling factors into one of its TJSAMP
// layouts and fails ("Could not determine subsampling type") on any other, e.g. a CMYK file
// with 2x2 C and 1x1 M, Y, K (Pillow writes those with subsampling=2), or 3-channel 4x2, 1x4,
// 3x1 or mixed 2x1/1x2 factors. libjpeg itself only needs integral ratios. Same settings as
// the TurboJPEG path and Pillow: ISLOW IDCT, fancy upsampling, DCT scaling by scale_denom,
// at most 500 scans. The error manager longjmps back here, so libjpeg never calls exit() and
// never writes to stderr.

#include "decoders.h"

#include <cstdio> // jpeglib.h needs FILE and size_t first
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <new>

namespace imago::detail {

namespace {

struct ErrorManager
{
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX] = {};
    bool truncated = false;
};

[[noreturn]] void onError(j_common_ptr cinfo)
{
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    err->pub.format_message(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

// Warnings: a truncation stops the decode (Pillow refuses truncated files), others are kept
// as the first message seen and the decode goes on, as TurboJPEG and Pillow do. Trace
// messages (level >= 0) are dropped.
void onMessage(j_common_ptr cinfo, int level)
{
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    if (level >= 0)
        return;
    if (err->pub.msg_code == JWRN_JPEG_EOF) {
        err->truncated = true;
        err->pub.format_message(cinfo, err->message);
        std::longjmp(err->jump, 1);
    }
    if (err->pub.num_warnings++ == 0)
        err->pub.format_message(cinfo, err->message);
}

void onOutputMessage(j_common_ptr) {}

// TurboJPEG's TJFLAG_LIMITSCANS: a progressive file with thousands of tiny scans takes
// minutes to decode (a known denial of service), so stop after 500 like the other path.
void onProgress(j_common_ptr cinfo)
{
    const auto *d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->input_scan_number > 500) {
        auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
        std::snprintf(err->message, sizeof err->message,
                      "Progressive JPEG image has more than 500 scans");
        std::longjmp(err->jump, 1);
    }
}

// Everything libjpeg may longjmp out of. No object with a destructor is alive across a libjpeg
// call here (the Reason of checkPixelBudget dies before the next one), so the jump skips
// nothing that needs unwinding.
void decodeInto(j_decompress_ptr cinfo, Bytes bytes, int minSide, const DecodeLimits &limits,
                LibjpegImage &out)
{
    jpeg_mem_src(cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(cinfo, TRUE);
    out.width = int(cinfo->image_width);
    out.height = int(cinfo->image_height);
    if (Reason err = checkPixelBudget(cinfo->image_width, cinfo->image_height, limits);
        !err.isEmpty()) {
        out.sizeError = std::move(err);
        return;
    }
    const int scale = jpegDraftScale(out.width, out.height, minSide);
    cinfo->scale_num = 1;
    cinfo->scale_denom = unsigned(scale);
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        out.channels = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK: // libjpeg turns YCCK into (Adobe-inverted) CMYK, as TurboJPEG's TJPF_CMYK
        cinfo->out_color_space = JCS_CMYK;
        out.channels = 4;
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        out.channels = 3;
        break;
    }
    jpeg_start_decompress(cinfo);
    out.outWidth = int(cinfo->output_width);
    out.outHeight = int(cinfo->output_height);
    const std::size_t rowBytes = std::size_t(out.outWidth) * std::size_t(out.channels);
    out.pixels.resize(rowBytes * std::size_t(out.outHeight));
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = out.pixels.data() + std::size_t(cinfo->output_scanline) * rowBytes;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);
}

} // namespace

LibjpegImage decodeJpegWithLibjpeg(Bytes bytes, int minSide, const DecodeLimits &limits)
{
    LibjpegImage out;
    jpeg_decompress_struct cinfo{};
    ErrorManager err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = onError;
    err.pub.emit_message = onMessage;
    err.pub.output_message = onOutputMessage;
    jpeg_progress_mgr progress{};
    progress.progress_monitor = onProgress;

    // A fresh decompressor per file: a reused one keeps the previous file's Huffman and
    // quantisation tables, which a file without DHT (Motion JPEG) would then decode with.
    if (setjmp(err.jump) == 0) {
        jpeg_create_decompress(&cinfo);
        cinfo.progress = &progress;
        try {
            decodeInto(&cinfo, bytes, minSide, limits, out);
        } catch (const std::bad_alloc &) { // the pixel buffer; reported by decodeImageData
            jpeg_destroy_decompress(&cinfo);
            throw;
        }
        if (err.pub.num_warnings > 0)
            out.warning = QString::fromLocal8Bit(err.message);
    } else {
        out.error = QString::fromLocal8Bit(err.message).trimmed();
        out.truncated = err.truncated;
        out.pixels.clear();
    }
    jpeg_destroy_decompress(&cinfo); // safe on a struct whose creation failed (mem is null)
    return out;
}

} // namespace imago::detail
