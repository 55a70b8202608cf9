#include "roots_model.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QLocale>
#include <QPalette>
#include <QStyle>

namespace imago {

RootsModel::RootsModel(QObject *parent) : QAbstractListModel(parent) {}

void RootsModel::setRoots(const std::vector<LibraryOverview::Root> &roots)
{
    bool samePaths = roots.size() == m_roots.size();
    for (std::size_t i = 0; samePaths && i < roots.size(); ++i)
        samePaths = roots[i].path == m_roots[i].path;
    if (samePaths) {
        m_roots = roots;
        if (!m_roots.empty())
            Q_EMIT dataChanged(index(0), index(int(m_roots.size()) - 1));
        return;
    }
    beginResetModel();
    m_roots = roots;
    endResetModel();
}

void RootsModel::setBusyPaths(const QStringList &paths)
{
    if (paths == m_busy)
        return;
    m_busy = paths;
    if (!m_roots.empty())
        Q_EMIT dataChanged(index(0), index(int(m_roots.size()) - 1));
}

const LibraryOverview::Root *RootsModel::rootAt(int row) const
{
    return row >= 0 && row < int(m_roots.size()) ? &m_roots[std::size_t(row)] : nullptr;
}

int RootsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_roots.size());
}

QVariant RootsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LibraryOverview::Root &r = m_roots[std::size_t(index.row())];
    const bool busy = m_busy.contains(r.path);
    switch (role) {
    case Qt::DisplayRole: {
        QString name = QFileInfo(r.path).fileName();
        if (name.isEmpty())
            name = r.path;
        const QString count = tr("%n photo(s)", nullptr, int(std::min<std::int64_t>(r.photos, INT32_MAX)));
        const QString state = !r.online ? tr("offline") : busy ? tr("indexing…") : QString();
        return state.isEmpty() ? QStringLiteral("%1\n%2").arg(name, count)
                               : QStringLiteral("%1\n%2 · %3").arg(name, count, state);
    }
    case Qt::ToolTipRole:
        return r.online ? QDir::toNativeSeparators(r.path)
                        : tr("%1\nThis folder cannot be reached (an unplugged drive?). Its "
                             "photos are kept and can still be found.")
                              .arg(QDir::toNativeSeparators(r.path));
    case Qt::DecorationRole:
        return QApplication::style()->standardIcon(r.online ? QStyle::SP_DirIcon
                                                            : QStyle::SP_DriveNetIcon);
    case Qt::ForegroundRole:
        if (!r.online)
            return QApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case PathRole:
        return r.path;
    case OnlineRole:
        return r.online;
    case PhotosRole:
        return qint64(r.photos);
    default:
        return {};
    }
}

} // namespace imago
