// preprocess.h - from an image file to the FLAVA image encoder's input tensor, exactly as
// FlavaImageProcessor does it (shared/flava-reference/README.md, "Image preprocessing"):
// decode (image_decoder.h) -> resize to size x size, aspect ratio not kept (resize.h) ->
// x = float32(u8 * (1/255)), (x - mean) / std per channel in float32 -> planar CHW.
//
// Threading: everything here is reentrant; PreprocessConfig is an immutable value after
// construction and may be shared by all decode threads. Output buffers belong to the caller.
#pragma once

#include "image_decoder.h"
#include "rgb_image.h"

#include <QByteArrayView>
#include <QString>

#include <array>

namespace imago {

struct PreprocessConfig
{
    int size = 224; // the model's square input side
    std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f}; // OpenAI CLIP constants
    std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};

    // Reads <dir>/preprocessor_config.json (Hugging Face FlavaImageProcessor fields): "size"
    // (or "crop_size") as an int, {"height", "width"} (must be equal) or {"shortest_edge"};
    // "image_mean" / "image_std" (3 numbers each). Without the file, or without a size in it,
    // the size is imageSizeFromModelConfig (config.json image_config.image_size). Because the
    // resize squashes to size x size, a center crop other than that size cannot be honoured:
    // such a config is refused. Throws std::runtime_error naming the file when it is not
    // readable, not JSON, or has fields of the wrong shape - a setup failure, not per image.
    static PreprocessConfig fromModelFolder(const QString &dir, int imageSizeFromModelConfig);
};

// resized (any size) -> 3 x height x width floats at outChw, channel planes R, G, B.
// outChw must hold 3 * resized.width * resized.height floats.
void normalizeToChw(const RgbImage &resized, const PreprocessConfig &cfg, float *outChw);

struct PreprocessOutcome
{
    QString error; // empty on success; otherwise why the image was skipped
    QString code;  // and the same as a reason code with its arguments (reason.h)
    QStringList args;
    int orientedWidth = 0; // the displayed full-resolution size, for the catalog
    int orientedHeight = 0;
    QString format;
    PhotoMetadata metadata; // capture time, camera and text (DecodedImage::metadata)

    bool ok() const { return error.isEmpty(); }
    Reason reason() const { return Reason{code, error, args}; }
};

// Decode -> resize to cfg.size x cfg.size -> normalize into outChw (3 * size * size floats).
// fast = true lets a JPEG decode at a reduced DCT scale that keeps both sides >= 2 * size
// (close to the reference, not identical: about 54-56 dB PSNR on photos); fast = false is the
// reference pipeline bit for bit. On failure outChw is left untouched.
PreprocessOutcome preprocessImageFile(const QString &path, const PreprocessConfig &cfg, bool fast,
                                      float *outChw, const DecodeLimits &limits = {});
PreprocessOutcome preprocessImageData(QByteArrayView bytes, const PreprocessConfig &cfg, bool fast,
                                      float *outChw, const DecodeLimits &limits = {});

} // namespace imago
