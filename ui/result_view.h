// result_view.h - the thumbnail grid: a QListView in icon mode with a delegate that draws the
// thumbnail (or a placeholder while it loads), the file name and, optionally, the confidence.
//
// It tells the ThumbnailLoader which rows are visible (nearest-to-viewport first) whenever it
// scrolls or resizes, shows a centred message when empty (setPlaceholderText), and animates
// the move of each photo (~250 ms) when the model reorders after the ITM rerank.
//
// GUI thread only.
#pragma once

#include <QHash>
#include <QListView>
#include <QPointer>
#include <QVariantAnimation>

namespace imago {

class ThumbnailLoader;

class ResultView : public QListView
{
    Q_OBJECT
public:
    explicit ResultView(QWidget *parent = nullptr);

    void setThumbnailLoader(ThumbnailLoader *loader);
    void setThumbnailSize(int pixels);
    int thumbnailSize() const { return m_thumbSize; }
    void setShowConfidence(bool show);
    bool showConfidence() const { return m_showConfidence; }
    void setPlaceholderText(const QString &title, const QString &detail = {});
    void setModel(QAbstractItemModel *model) override;

    // During the reorder animation: where the delegate should draw row `row` instead.
    bool animatedRect(const QModelIndex &index, QRect *rect) const;

Q_SIGNALS:
    void contextMenuRequestedAt(const QModelIndex &index, const QPoint &globalPos);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void rowsInserted(const QModelIndex &parent, int start, int end) override;

private:
    void reportVisibleRows();
    void updateGrid();
    void captureBeforeLayout();
    void startMoveAnimation();

    QPointer<ThumbnailLoader> m_loader;
    int m_thumbSize = 160;
    bool m_showConfidence = true;
    QString m_placeholderTitle, m_placeholderDetail;
    QHash<qint64, QRect> m_before;  // photo id -> rect before the reorder (viewport coordinates)
    QHash<qint64, QRect> m_from;    // during the animation
    QVariantAnimation m_move;
    QMetaObject::Connection m_layoutAbout, m_layoutDone, m_reset;
};

} // namespace imago
