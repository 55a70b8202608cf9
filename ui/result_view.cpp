#include "result_view.h"

#include "result_model.h"
#include "thumbnail_loader.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QStyledItemDelegate>

namespace imago {

namespace {

constexpr int kTextLines = 1;

class ThumbnailDelegate : public QStyledItemDelegate
{
public:
    explicit ThumbnailDelegate(ResultView *view) : QStyledItemDelegate(view), m_view(view) {}

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const override
    {
        const int side = m_view->thumbnailSize();
        const int text = option.fontMetrics.height() * kTextLines;
        return {side + 12, side + text + 16};
    }

    void paint(QPainter *p, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QRect rect = option.rect;
        m_view->animatedRect(index, &rect);
        const QPalette &pal = option.palette;
        const bool selected = option.state & QStyle::State_Selected;
        const bool hovered = option.state & QStyle::State_MouseOver;
        p->save();
        p->setRenderHint(QPainter::Antialiasing);

        const QRect cell = rect.adjusted(3, 3, -3, -3);
        if (selected || hovered) {
            QColor bg = pal.color(QPalette::Highlight);
            bg.setAlpha(selected ? 90 : 35);
            p->setPen(selected ? QPen(pal.color(QPalette::Highlight), 1.5) : Qt::NoPen);
            p->setBrush(bg);
            p->drawRoundedRect(cell, 6, 6);
        }
        if (option.state & QStyle::State_HasFocus && selected) {
            p->setPen(QPen(pal.color(QPalette::Highlight), 2));
            p->setBrush(Qt::NoBrush);
            p->drawRoundedRect(cell.adjusted(1, 1, -1, -1), 6, 6);
        }

        const int side = m_view->thumbnailSize();
        const QRect box(cell.left() + (cell.width() - side) / 2, cell.top() + 4, side, side);
        const QVariant deco = index.data(Qt::DecorationRole);
        if (deco.canConvert<QImage>() && !deco.value<QImage>().isNull()) {
            const QImage img = deco.value<QImage>();
            const QSize fitted = img.size().scaled(box.size(), Qt::KeepAspectRatio);
            const QRect target(box.left() + (box.width() - fitted.width()) / 2,
                               box.top() + (box.height() - fitted.height()) / 2, fitted.width(),
                               fitted.height());
            QPainterPath clip;
            clip.addRoundedRect(target, 4, 4);
            p->setClipPath(clip);
            p->setRenderHint(QPainter::SmoothPixmapTransform);
            p->drawImage(target, img);
            p->setClipping(false);
        } else {
            QColor ph = pal.color(QPalette::Mid);
            ph.setAlpha(60);
            p->setPen(Qt::NoPen);
            p->setBrush(ph);
            const QRect inner = box.adjusted(side / 10, side / 10, -side / 10, -side / 10);
            p->drawRoundedRect(inner, 6, 6);
            if (index.data(ResultModel::ThumbnailFailedRole).toBool()) {
                p->setPen(pal.color(QPalette::PlaceholderText));
                p->drawText(inner, Qt::AlignCenter | Qt::TextWordWrap,
                            ResultView::tr("No preview"));
            }
        }

        // confidence badge: match probability once reranked, else the similarity
        if (m_view->showConfidence()) {
            const QVariant prob = index.data(ResultModel::ProbabilityRole);
            QString badge;
            if (prob.isValid())
                badge = QLocale().toString(qRound(prob.toFloat() * 100)) + QLatin1Char('%');
            else
                badge = QLocale().toString(index.data(ResultModel::ScoreRole).toFloat(), 'f', 2);
            QFont f = option.font;
            f.setPointSizeF(f.pointSizeF() * 0.85);
            f.setBold(prob.isValid());
            p->setFont(f);
            const QFontMetrics fm(f);
            const QRect b(box.right() - fm.horizontalAdvance(badge) - 14, box.top() + 4,
                          fm.horizontalAdvance(badge) + 10, fm.height() + 2);
            p->setPen(Qt::NoPen);
            p->setBrush(QColor(0, 0, 0, 150));
            p->drawRoundedRect(b, b.height() / 2.0, b.height() / 2.0);
            p->setPen(Qt::white);
            p->drawText(b, Qt::AlignCenter, badge);
            p->setFont(option.font);
        }

        // a text match: the photo's name, folders or keywords hold the words
        if (index.data(ResultModel::TextMatchRole).toBool()) {
            QFont f = option.font;
            f.setPointSizeF(f.pointSizeF() * 0.85);
            f.setBold(true);
            p->setFont(f);
            const QFontMetrics fm(f);
            const QString mark = ResultView::tr("name");
            const QRect b(box.left() + 4, box.top() + 4, fm.horizontalAdvance(mark) + 10,
                          fm.height() + 2);
            p->setPen(Qt::NoPen);
            p->setBrush(pal.color(QPalette::Highlight));
            p->drawRoundedRect(b, b.height() / 2.0, b.height() / 2.0);
            p->setPen(pal.color(QPalette::HighlightedText));
            p->drawText(b, Qt::AlignCenter, mark);
            p->setFont(option.font);
        }

        const QRect textRect(cell.left() + 4, box.bottom() + 6, cell.width() - 8,
                             option.fontMetrics.height());
        p->setPen(pal.color(selected ? QPalette::Text : QPalette::Text));
        p->drawText(textRect, Qt::AlignHCenter | Qt::AlignVCenter,
                    option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(),
                                                  Qt::ElideMiddle, textRect.width()));
        p->restore();
    }

private:
    ResultView *m_view;
};

} // namespace

ResultView::ResultView(QWidget *parent) : QListView(parent)
{
    setViewMode(QListView::IconMode);
    setMovement(QListView::Static);
    setResizeMode(QListView::Adjust);
    setUniformItemSizes(true);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setSelectionBehavior(QAbstractItemView::SelectItems);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalScrollBar()->setSingleStep(24);
    setSpacing(2);
    setWordWrap(false);
    setMouseTracking(true);
    setDragEnabled(true);
    setDragDropMode(QAbstractItemView::DragOnly);
    setFrameShape(QFrame::NoFrame);
    setItemDelegate(new ThumbnailDelegate(this));
    setLayoutMode(QListView::Batched);
    setBatchSize(200);

    m_move.setDuration(260);
    m_move.setStartValue(0.0);
    m_move.setEndValue(1.0);
    m_move.setEasingCurve(QEasingCurve::OutCubic);
    connect(&m_move, &QVariantAnimation::valueChanged, viewport(),
            [this] { viewport()->update(); });
    connect(&m_move, &QVariantAnimation::finished, this, [this] {
        m_from.clear();
        viewport()->update();
    });
}

void ResultView::setThumbnailLoader(ThumbnailLoader *loader)
{
    m_loader = loader;
}

void ResultView::setThumbnailSize(int pixels)
{
    m_thumbSize = pixels;
    updateGrid();
    if (m_loader)
        m_loader->setSize(pixels);
    // uniform item sizes are cached: nudge the layout
    doItemsLayout();
    viewport()->update();
}

void ResultView::setShowConfidence(bool show)
{
    m_showConfidence = show;
    viewport()->update();
}

void ResultView::setPlaceholderText(const QString &title, const QString &detail)
{
    m_placeholderTitle = title;
    m_placeholderDetail = detail;
    viewport()->update();
}

void ResultView::setModel(QAbstractItemModel *m)
{
    if (model()) {
        disconnect(m_layoutAbout);
        disconnect(m_layoutDone);
        disconnect(m_reset);
    }
    QListView::setModel(m);
    if (!m)
        return;
    m_layoutAbout = connect(m, &QAbstractItemModel::layoutAboutToBeChanged, this,
                            &ResultView::captureBeforeLayout);
    m_layoutDone = connect(m, &QAbstractItemModel::layoutChanged, this,
                           &ResultView::startMoveAnimation, Qt::QueuedConnection);
    m_reset = connect(m, &QAbstractItemModel::modelReset, this, [this] {
        m_move.stop();
        m_from.clear();
        scrollToTop();
        reportVisibleRows();
    });
}

void ResultView::captureBeforeLayout()
{
    m_before.clear();
    if (!model() || !isVisible())
        return;
    const QRect area = viewport()->rect();
    for (int row = 0; row < model()->rowCount(); ++row) {
        const QModelIndex idx = model()->index(row, 0);
        const QRect r = visualRect(idx);
        if (r.intersects(area.adjusted(0, -area.height(), 0, area.height())))
            m_before.insert(idx.data(ResultModel::PhotoIdRole).toLongLong(), r);
    }
}

void ResultView::startMoveAnimation()
{
    m_from = std::move(m_before);
    m_before.clear();
    if (m_from.isEmpty())
        return;
    m_move.stop();
    m_move.start();
    reportVisibleRows();
}

bool ResultView::animatedRect(const QModelIndex &index, QRect *rect) const
{
    if (m_from.isEmpty() || m_move.state() != QAbstractAnimation::Running)
        return false;
    const auto it = m_from.constFind(index.data(ResultModel::PhotoIdRole).toLongLong());
    if (it == m_from.constEnd())
        return false;
    const double t = m_move.currentValue().toDouble();
    const QRect to = *rect;
    const QPoint delta = to.topLeft() - it->topLeft();
    rect->moveTopLeft(it->topLeft() + QPoint(int(delta.x() * t), int(delta.y() * t)));
    return true;
}

void ResultView::paintEvent(QPaintEvent *event)
{
    if (model() && model()->rowCount() > 0) {
        QListView::paintEvent(event);
        return;
    }
    QPainter p(viewport());
    const QRect r = viewport()->rect().adjusted(40, 0, -40, 0);
    QFont title = font();
    title.setPointSizeF(title.pointSizeF() * 1.4);
    p.setFont(title);
    p.setPen(palette().color(QPalette::Text));
    const QFontMetrics tfm(title);
    const QRect detailRect =
        fontMetrics().boundingRect(r, Qt::TextWordWrap | Qt::AlignHCenter, m_placeholderDetail);
    const int total = tfm.height() + 12 + detailRect.height();
    const QRect t(r.left(), r.center().y() - total / 2, r.width(), tfm.height());
    p.drawText(t, Qt::AlignHCenter | Qt::AlignVCenter, m_placeholderTitle);
    p.setFont(font());
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(QRect(r.left(), t.bottom() + 12, r.width(), detailRect.height() + 4),
               Qt::TextWordWrap | Qt::AlignHCenter | Qt::AlignTop, m_placeholderDetail);
}

void ResultView::updateGrid()
{
    // Spread the columns over the whole width instead of leaving a ragged gap on the right.
    const int minCell = m_thumbSize + 16;
    const int width = std::max(minCell, viewport()->width() - 2 * spacing() - 1);
    const int columns = std::max(1, width / minCell);
    const int cellHeight = m_thumbSize + fontMetrics().height() + 20;
    const QSize grid(width / columns, cellHeight);
    if (grid != gridSize())
        setGridSize(grid);
}

void ResultView::resizeEvent(QResizeEvent *event)
{
    updateGrid();
    QListView::resizeEvent(event);
    reportVisibleRows();
}

void ResultView::scrollContentsBy(int dx, int dy)
{
    QListView::scrollContentsBy(dx, dy);
    reportVisibleRows();
}

void ResultView::rowsInserted(const QModelIndex &parent, int start, int end)
{
    QListView::rowsInserted(parent, start, end);
    reportVisibleRows();
}

void ResultView::reportVisibleRows()
{
    if (!m_loader || !model())
        return;
    const QRect area = viewport()->rect();
    const QModelIndex first = indexAt(area.topLeft() + QPoint(4, 4));
    int last = -1;
    // bottom-right may be empty space: walk back along the bottom edge
    for (int x = area.right() - 4; x > 0 && last < 0; x -= std::max(8, m_thumbSize / 2)) {
        const QModelIndex idx = indexAt(QPoint(x, area.bottom() - 4));
        if (idx.isValid())
            last = idx.row();
    }
    if (last < 0)
        last = model()->rowCount() - 1;
    m_loader->setVisibleRows(first.isValid() ? first.row() : 0, last);
}

void ResultView::contextMenuEvent(QContextMenuEvent *event)
{
    const QModelIndex idx = indexAt(event->pos());
    if (!idx.isValid())
        return;
    if (!selectionModel()->isSelected(idx))
        setCurrentIndex(idx);
    Q_EMIT contextMenuRequestedAt(idx, event->globalPos());
}

} // namespace imago
