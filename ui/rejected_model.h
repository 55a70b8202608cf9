// rejected_model.h - files the indexer could not index, with the reason a person can read
// (two columns: file, reason). Filled from a LibraryOverview. GUI thread only.
#pragma once

#include "library_service.h"

#include <QAbstractTableModel>

#include <vector>

namespace imago {

class RejectedModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { FileColumn, ReasonColumn, ColumnCount };

    explicit RejectedModel(QObject *parent = nullptr);
    void setRejected(const std::vector<LibraryOverview::Rejected> &rejected);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<LibraryOverview::Rejected> m_rows;
};

} // namespace imago
