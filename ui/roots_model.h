// roots_model.h - the library's folders (roots) with their online state and photo counts, for
// the folders panel. Filled from a LibraryOverview (read on the I/O pool); setRoots() updates
// rows in place when the folder list is unchanged, so the selection survives a refresh.
//
// GUI thread only.
#pragma once

#include "library_service.h"

#include <QAbstractListModel>

#include <vector>

namespace imago {

class RootsModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { PathRole = Qt::UserRole + 1, OnlineRole, PhotosRole };

    explicit RootsModel(QObject *parent = nullptr);

    void setRoots(const std::vector<LibraryOverview::Root> &roots);
    // A folder being indexed right now (shown as such); empty for none.
    void setBusyPaths(const QStringList &paths);
    const LibraryOverview::Root *rootAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    std::vector<LibraryOverview::Root> m_roots;
    QStringList m_busy;
};

} // namespace imago
