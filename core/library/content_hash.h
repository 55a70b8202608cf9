// content_hash.h - the identity of a photo's bytes, used to follow moves and renames.
//
// A photo that moves or is renamed keeps its catalog record and embedding because its content
// hash (BLAKE2b-256 of the whole file) matches. Streams the file in 1 MiB blocks, so memory stays
// flat for any file size. Pure function of the file: any thread may call it.
#pragma once

#include <QByteArrayView>
#include <QString>

#include <optional>

namespace imago {

// Lower-case hex BLAKE2b-256 of the file's bytes; nullopt (and `error` set when given) when the
// file cannot be opened or read to the end.
std::optional<QString> photoContentHash(const QString &path, QString *error = nullptr);
// The same for bytes already in memory (the indexer reads each file once).
QString photoContentHashOf(QByteArrayView bytes);

} // namespace imago
