#include "rejected_model.h"

#include "reason_text.h"

#include <QDir>
#include <QFileInfo>

namespace imago {

RejectedModel::RejectedModel(QObject *parent) : QAbstractTableModel(parent) {}

void RejectedModel::setRejected(const std::vector<LibraryOverview::Rejected> &rejected)
{
    beginResetModel();
    m_rows = rejected;
    endResetModel();
}

int RejectedModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RejectedModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RejectedModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &r = m_rows[std::size_t(index.row())];
    if (role == Qt::DisplayRole)
        return index.column() == FileColumn ? QFileInfo(r.path).fileName()
                                            : localizedReason(r.reason);
    if (role == Qt::ToolTipRole)
        return QDir::toNativeSeparators(r.path) + QLatin1Char('\n') + localizedReason(r.reason);
    if (role == Qt::UserRole)
        return r.path;
    return {};
}

QVariant RejectedModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == FileColumn ? tr("File") : section == ReasonColumn ? tr("Reason") : QVariant();
}

} // namespace imago
