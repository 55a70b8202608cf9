// library_error.h - the setup-failure exception of the library layer.
//
// Thrown when a library folder, its catalog or its lock cannot be used: the database cannot be
// opened or migrated, was written by a newer Imago, is locked by another writer, or a write
// fails. Per-photo problems are never exceptions (they are recorded as a photo's reason), and a
// damaged vector index is not one either: the library rebuilds it from the catalog.
#pragma once

#include <QString>

#include <stdexcept>

namespace imago {

class LibraryError : public std::runtime_error
{
public:
    // `path` names the file or folder; `problem` says what is wrong in words a person can act on.
    LibraryError(const QString &path, const QString &problem)
        : std::runtime_error((path + QStringLiteral(": ") + problem).toStdString()), m_path(path)
    {
    }
    const QString &path() const { return m_path; }

private:
    QString m_path;
};

} // namespace imago
