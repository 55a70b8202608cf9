// Test helpers that write checkpoint files byte by byte, so tests can build well-formed and
// hostile safetensors / torch.save zip files without Python.
#pragma once

#include <QByteArray>
#include <QString>

#include <string>
#include <utility>
#include <vector>

namespace imago::test {

// Raw safetensors: an 8-byte little-endian header length, the header, the data.
QByteArray safetensorsBytes(const QByteArray &headerJson, const QByteArray &data,
                            quint64 declaredHeaderLength = ~0ull);

// A zip with stored (uncompressed) entries, as torch.save writes them.
QByteArray storedZip(const std::vector<std::pair<std::string, QByteArray>> &entries);

bool writeFile(const QString &path, const QByteArray &bytes);

} // namespace imago::test
