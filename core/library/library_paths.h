// library_paths.h - PRIVATE to core/library: how Library spells the paths it is given.
#pragma once

#include <QDir>
#include <QFileInfo>
#include <QString>

namespace imago {

// Absolute and cleaned (QDir::cleanPath): the form roots and library folders are compared in.
inline QString absoluteClean(const QString &path)
{
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

} // namespace imago
