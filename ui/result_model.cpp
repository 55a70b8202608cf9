#include "result_model.h"

#include "thumbnail_loader.h"

#include <QFileInfo>
#include <QLocale>
#include <QMimeData>
#include <QSize>
#include <QUrl>

#include <unordered_map>

namespace imago {

ResultModel::ResultModel(QObject *parent) : QAbstractListModel(parent) {}

void ResultModel::setThumbnailLoader(ThumbnailLoader *loader)
{
    if (m_loader)
        disconnect(m_loader, nullptr, this, nullptr);
    m_loader = loader;
    if (loader) {
        connect(loader, &ThumbnailLoader::thumbnailReady, this, &ResultModel::thumbnailArrived);
        connect(loader, &ThumbnailLoader::thumbnailFailed, this,
                [this](const QString &path, const QString &) { thumbnailArrived(path); });
    }
}

void ResultModel::rebuildRowIndex()
{
    m_rowOfPath.clear();
    m_rowOfPath.reserve(qsizetype(m_rows.size()));
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        m_rowOfPath.insert(m_rows[i].path, int(i));
}

void ResultModel::setResults(const std::vector<SearchResult> &results)
{
    beginResetModel();
    m_rows = results;
    rebuildRowIndex();
    endResetModel();
    if (m_loader)
        m_loader->clearPending();
}

void ResultModel::clear()
{
    setResults({});
}

void ResultModel::updateResults(const std::vector<SearchResult> &results)
{
    std::unordered_map<std::int64_t, std::size_t> newPos;
    for (std::size_t i = 0; i < results.size(); ++i)
        newPos.emplace(results[i].photoId, i);

    // 1. rows that are gone (e.g. below the confidence cut-off), removed bottom-up in runs
    for (int row = int(m_rows.size()) - 1; row >= 0;) {
        if (newPos.count(m_rows[std::size_t(row)].photoId)) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !newPos.count(m_rows[std::size_t(first - 1)].photoId))
            --first;
        beginRemoveRows({}, first, row);
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + row + 1);
        endRemoveRows();
        row = first - 1;
    }

    // 2. the survivors in their new order
    std::vector<SearchResult> kept;
    std::vector<std::int64_t> added;
    std::unordered_map<std::int64_t, int> oldRow;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        oldRow.emplace(m_rows[i].photoId, int(i));
    for (const SearchResult &r : results) {
        if (oldRow.count(r.photoId))
            kept.push_back(r);
        else
            added.push_back(r.photoId);
    }
    bool moved = false;
    for (std::size_t i = 0; i < kept.size(); ++i)
        moved = moved || oldRow[kept[i].photoId] != int(i);
    if (moved) {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        const QModelIndexList before = persistentIndexList();
        std::unordered_map<std::int64_t, int> keptRow;
        for (std::size_t i = 0; i < kept.size(); ++i)
            keptRow.emplace(kept[i].photoId, int(i));
        QModelIndexList after;
        after.reserve(before.size());
        for (const QModelIndex &idx : before) {
            const std::int64_t id = m_rows[std::size_t(idx.row())].photoId;
            after.append(index(keptRow.at(id), idx.column()));
        }
        m_rows = std::move(kept);
        rebuildRowIndex();
        changePersistentIndexList(before, after);
        Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    } else {
        m_rows = std::move(kept);
    }
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1));

    // 3. newcomers, each inserted at its final position (ascending, so earlier ones hold)
    if (!added.empty()) {
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (oldRow.count(results[i].photoId))
                continue;
            beginInsertRows({}, int(i), int(i));
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(i), results[i]);
            endInsertRows();
        }
    }
    rebuildRowIndex();
}

const SearchResult *ResultModel::resultAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)] : nullptr;
}

int ResultModel::rowOfPath(const QString &path) const
{
    return m_rowOfPath.value(path, -1);
}

int ResultModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ResultModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SearchResult &r = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return QFileInfo(r.path).fileName();
    case Qt::ToolTipRole: {
        QString tip = r.path;
        if (r.matchProbability)
            tip += QLatin1Char('\n') +
                   tr("Match: %1%").arg(QLocale().toString(*r.matchProbability * 100, 'f', 0));
        tip += QLatin1Char('\n') + tr("Similarity: %1").arg(QLocale().toString(r.score, 'f', 3));
        if (r.textMatch)
            tip += QLatin1Char('\n') + tr("Its name, folder or keywords hold the words");
        return tip;
    }
    case Qt::DecorationRole:
        if (!m_loader)
            return {};
        {
            const QImage img = m_loader->thumbnail(r.path, index.row());
            return img.isNull() ? QVariant() : QVariant(img);
        }
    case PathRole:
        return r.path;
    case PhotoIdRole:
        return qint64(r.photoId);
    case ScoreRole:
        return r.score;
    case ProbabilityRole:
        return r.matchProbability ? QVariant(*r.matchProbability) : QVariant();
    case RankBeforeRerankRole:
        return r.rankBeforeRerank;
    case CapturedRole:
        return r.capturedAt;
    case PixelSizeRole:
        return QSize(r.width, r.height);
    case FormatRole:
        return r.format;
    case ThumbnailFailedRole:
        return m_loader && m_loader->hasFailed(r.path);
    case TextMatchRole:
        return r.textMatch;
    case ConfidentRole:
        return r.confident;
    default:
        return {};
    }
}

Qt::ItemFlags ResultModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled |
           Qt::ItemNeverHasChildren;
}

QHash<int, QByteArray> ResultModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(PathRole, "path");
    names.insert(PhotoIdRole, "photoId");
    names.insert(ScoreRole, "score");
    names.insert(ProbabilityRole, "probability");
    names.insert(RankBeforeRerankRole, "rankBeforeRerank");
    names.insert(CapturedRole, "captured");
    names.insert(PixelSizeRole, "pixelSize");
    names.insert(FormatRole, "format");
    names.insert(ThumbnailFailedRole, "thumbnailFailed");
    names.insert(TextMatchRole, "textMatch");
    names.insert(ConfidentRole, "confident");
    return names;
}

QStringList ResultModel::mimeTypes() const
{
    return {QStringLiteral("text/uri-list")};
}

QMimeData *ResultModel::mimeData(const QModelIndexList &indexes) const
{
    QList<QUrl> urls;
    for (const QModelIndex &i : indexes)
        if (const SearchResult *r = resultAt(i.row()))
            urls.append(QUrl::fromLocalFile(r->path));
    auto *mime = new QMimeData;
    mime->setUrls(urls);
    return mime;
}

void ResultModel::thumbnailArrived(const QString &path)
{
    const int row = rowOfPath(path);
    if (row >= 0)
        Q_EMIT dataChanged(index(row), index(row), {Qt::DecorationRole, ThumbnailFailedRole});
}

} // namespace imago
