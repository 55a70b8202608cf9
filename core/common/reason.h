// reason.h - why a photo is not (or no longer) searchable, in a form a person, a script and a
// translator can each use: a stable machine-readable code, the English sentence the code was
// written for, and the values that sentence was made from.
//
// Codes are a contract (stored in the catalog, printed by `imago-cli list/probe/index --json`,
// documented in the README's "Reason codes" table): a code is never renamed or reused for
// another meaning; new ones may be added. The English text may be reworded at any time and is
// not for parsing. `args` are the sentence's variable parts, in the order the code's entry in
// the table lists them, so a user interface can build the sentence in its own language.
//
// Header-only, Qt Core only: shared by imaging (decode failures), the library (stored reasons)
// and the indexer (read failures, missing files).
#pragma once

#include <QString>
#include <QStringList>

namespace imago {

namespace reason {
// The file cannot be decoded into a picture.
inline constexpr char kEmptyFile[] = "empty_file";                   // -
inline constexpr char kFileTooLarge[] = "file_too_large";            // size MB, limit MB
inline constexpr char kUnreadable[] = "unreadable";                  // the system's error
inline constexpr char kNotAnImage[] = "not_an_image";                // what the content looks like
inline constexpr char kCameraRaw[] = "camera_raw";                   // which RAW kind
inline constexpr char kUnsupportedFormat[] = "unsupported_format";   // the format
inline constexpr char kUnsupportedFeature[] = "unsupported_feature"; // format, feature
inline constexpr char kEmptyImage[] = "empty_image";                 // width, height
inline constexpr char kTooManyPixels[] = "too_many_pixels";          // width, height, limit MP
inline constexpr char kSideTooLong[] = "side_too_long";              // width, height, limit px
inline constexpr char kTruncated[] = "truncated";                    // format
inline constexpr char kCorrupt[] = "corrupt";                        // format, decoder's message
inline constexpr char kOutOfMemory[] = "out_of_memory";              // -
inline constexpr char kDecoderError[] = "decoder_error";             // format
// A photo the library had, now out of reach.
inline constexpr char kFileNotFound[] = "file_not_found";  // -
inline constexpr char kFolderOffline[] = "folder_offline"; // the folder
// Indexed, but by another model: its vector is stale until it is indexed again.
inline constexpr char kStaleModel[] = "stale_model"; // -

// Every code above (the README's table lists the same set; a test checks it).
inline constexpr const char *kAllCodes[] = {kEmptyFile,          kFileTooLarge, kUnreadable,
                                            kNotAnImage,         kCameraRaw,    kUnsupportedFormat,
                                            kUnsupportedFeature, kEmptyImage,   kTooManyPixels,
                                            kSideTooLong,        kTruncated,    kCorrupt,
                                            kOutOfMemory,        kDecoderError, kFileNotFound,
                                            kFolderOffline,      kStaleModel};

inline bool isKnownCode(const QString &code)
{
    for (const char *c : kAllCodes)
        if (code == QLatin1String(c))
            return true;
    return false;
}
} // namespace reason

struct Reason
{
    QString code;     // one of reason::k*; empty when there is nothing to explain
    QString text;     // the English sentence, for people and logs
    QStringList args; // the sentence's variable parts, for translations

    bool isEmpty() const { return code.isEmpty() && text.isEmpty(); }
};

inline Reason makeReason(const char *code, QString text, QStringList args = {})
{
    return Reason{QString::fromLatin1(code), std::move(text), std::move(args)};
}

inline Reason fileNotFoundReason()
{
    return makeReason(reason::kFileNotFound, QStringLiteral("file not found"));
}

} // namespace imago
