// result_model.h - the photos a search found, as a list model for the thumbnail grid.
//
// setResults() replaces the list (a new query: vector order). updateResults() applies the
// reranked list of the same query in place: rows that left are removed, the others are moved
// to their new order with a layout change that keeps persistent indexes (the selection and
// the current photo follow their photo), new ones are appended. The view animates the move.
//
// Thumbnails are lazy: data(Qt::DecorationRole) asks the ThumbnailLoader, which queues a load
// and calls back; the model then emits dataChanged for that row only.
//
// GUI thread only.
#pragma once

#include "search_engine.h"

#include <QAbstractListModel>
#include <QHash>

#include <vector>

namespace imago {

class ThumbnailLoader;

class ResultModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role
    {
        PathRole = Qt::UserRole + 1,
        PhotoIdRole,
        ScoreRole,       // float cosine similarity
        ProbabilityRole, // float ITM match probability, invalid QVariant until reranked
        RankBeforeRerankRole,
        CapturedRole,  // QDateTime (floating wall-clock time; display as is)
        PixelSizeRole, // QSize
        FormatRole,
        ThumbnailFailedRole, // bool
        TextMatchRole,       // bool: its name, folders or keywords hold the query's words
        ConfidentRole,       // bool: a confident match (search_engine.h)
    };

    explicit ResultModel(QObject *parent = nullptr);

    void setThumbnailLoader(ThumbnailLoader *loader);
    void setResults(const std::vector<SearchResult> &results);
    void updateResults(const std::vector<SearchResult> &results);
    void clear();

    const SearchResult *resultAt(int row) const;
    int rowOfPath(const QString &path) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QHash<int, QByteArray> roleNames() const override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;

private:
    void thumbnailArrived(const QString &path);
    void rebuildRowIndex();

    std::vector<SearchResult> m_rows;
    QHash<QString, int> m_rowOfPath;
    ThumbnailLoader *m_loader = nullptr;
};

} // namespace imago
