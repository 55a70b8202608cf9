#include "indexing_status_widget.h"

#include "indexing_controller.h"
#include "rejected_model.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace imago {

IndexingStatusWidget::IndexingStatusWidget(IndexingController *controller, RejectedModel *rejected,
                                           QWidget *parent)
    : QWidget(parent), m_controller(controller), m_rejected(rejected)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(8);
    m_bar = new QProgressBar(this);
    m_bar->setTextVisible(false);
    m_bar->setMaximumHeight(10);
    m_bar->setMinimumWidth(160);
    m_bar->setMaximumWidth(320);
    m_label = new QLabel(this);
    m_label->setTextFormat(Qt::PlainText);
    m_pause = new QPushButton(this);
    m_stop = new QPushButton(this);
    m_rejectedButton = new QPushButton(this);
    m_rejectedButton->setFlat(true);
    layout->addWidget(m_bar);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_rejectedButton);
    layout->addWidget(m_pause);
    layout->addWidget(m_stop);

    connect(m_pause, &QPushButton::clicked, this, [this] {
        if (m_controller->isPaused())
            m_controller->resume();
        else
            m_controller->pause();
    });
    connect(m_stop, &QPushButton::clicked, m_controller, &IndexingController::cancel);
    connect(m_rejectedButton, &QPushButton::clicked, this, &IndexingStatusWidget::showRejected);
    connect(controller, &IndexingController::started, this, &IndexingStatusWidget::onStarted);
    connect(controller, &IndexingController::progressChanged, this,
            &IndexingStatusWidget::onProgress);
    connect(controller, &IndexingController::finished, this, &IndexingStatusWidget::onFinished);
    connect(controller, &IndexingController::failed, this, &IndexingStatusWidget::onFailed);
    connect(controller, &IndexingController::pausedChanged, this,
            &IndexingStatusWidget::updatePauseButton);
    retranslate();
}

void IndexingStatusWidget::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

QString IndexingStatusWidget::formatDuration(double seconds)
{
    if (seconds < 0)
        return {};
    const qint64 s = qint64(seconds + 0.5);
    if (s < 60)
        return tr("less than a minute");
    if (s < 3600)
        return tr("%n minute(s)", nullptr, int((s + 30) / 60));
    return tr("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60);
}

QString IndexingStatusWidget::statusText() const
{
    const QLocale loc;
    switch (m_phase) {
    case Phase::Idle:
        return {};
    case Phase::Failed:
        return tr("Indexing stopped: %1").arg(m_error);
    case Phase::Done: {
        const IndexingSummary &s = m_summary;
        QString text = s.cancelled ? tr("Indexing stopped: %1 new photos indexed.")
                                         .arg(loc.toString(s.indexed))
                                   : tr("Indexing done: %1 new, %2 unchanged in %3.")
                                         .arg(loc.toString(s.indexed), loc.toString(s.unchanged),
                                              formatDuration(s.seconds));
        if (!s.offlineRoots.isEmpty())
            text += QLatin1Char(' ') + tr("%n folder(s) offline.", nullptr, int(s.offlineRoots.size()));
        return text;
    }
    case Phase::Running:
        break;
    }
    const IndexingProgress &p = m_progress;
    if (p.total == 0 && !p.scanFinished)
        return tr("Looking for photos…");
    QString text = p.scanFinished
                       ? tr("%1 of %2 photos").arg(loc.toString(p.done), loc.toString(p.total))
                       : tr("%1 of %2+ photos (still looking)")
                             .arg(loc.toString(p.done), loc.toString(p.total));
    if (p.paused || m_controller->isPaused())
        return text + QStringLiteral(" · ") + tr("paused");
    if (p.imagesPerSecond > 0)
        text += QStringLiteral(" · ") +
                tr("%1 photos/s").arg(loc.toString(p.imagesPerSecond, 'f', p.imagesPerSecond < 10 ? 1 : 0));
    if (p.etaSeconds >= 0)
        text += QStringLiteral(" · ") + tr("about %1 left").arg(formatDuration(p.etaSeconds));
    return text;
}

void IndexingStatusWidget::retranslate()
{
    m_stop->setText(tr("Stop"));
    m_stop->setToolTip(tr("Stop indexing (what is done so far is kept)"));
    updatePauseButton();
    setRejectedCount(m_rejectedCount);
    m_label->setText(statusText());
}

void IndexingStatusWidget::updatePauseButton()
{
    const bool paused = m_controller->isPaused();
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    const bool running = m_controller->isRunning();
    m_pause->setVisible(running);
    m_stop->setVisible(running);
    m_bar->setVisible(running);
    m_label->setText(statusText());
}

void IndexingStatusWidget::setRejectedCount(qint64 count)
{
    m_rejectedCount = count;
    m_rejectedButton->setText(tr("%n file(s) not indexed…", nullptr, int(std::min<qint64>(count, INT32_MAX))));
    m_rejectedButton->setVisible(count > 0);
    setVisible(m_phase != Phase::Idle || count > 0);
}

void IndexingStatusWidget::onStarted()
{
    m_phase = Phase::Running;
    m_progress = {};
    m_bar->setRange(0, 0);
    setVisible(true);
    updatePauseButton();
}

void IndexingStatusWidget::onProgress(const IndexingProgress &p)
{
    m_progress = p;
    if (p.total > 0) { // while still scanning the total grows: the bar is a lower bound
        const int scale = p.total > INT32_MAX ? int(p.total / INT32_MAX + 1) : 1;
        m_bar->setRange(0, int(p.total / scale));
        m_bar->setValue(int(p.done / scale));
    } else {
        m_bar->setRange(0, 0);
    }
    m_label->setText(statusText());
}

void IndexingStatusWidget::onFinished(const IndexingSummary &s)
{
    m_summary = s;
    m_phase = Phase::Done;
    updatePauseButton();
}

void IndexingStatusWidget::onFailed(const QString &message)
{
    m_error = message;
    m_phase = Phase::Failed;
    setVisible(true);
    updatePauseButton();
}

void IndexingStatusWidget::showRejected()
{
    QDialog dlg(window());
    dlg.setWindowTitle(tr("Files not indexed"));
    auto *layout = new QVBoxLayout(&dlg);
    auto *help = new QLabel(tr("These files were found but could not be indexed. They are "
                               "tried again when they change."),
                            &dlg);
    help->setWordWrap(true);
    layout->addWidget(help);
    auto *table = new QTableView(&dlg);
    table->setModel(m_rejected);
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->resizeSection(0, 260);
    table->verticalHeader()->hide();
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(false);
    table->setAlternatingRowColors(true);
    layout->addWidget(table);
    auto *box = new QDialogButtonBox(QDialogButtonBox::Close, &dlg);
    connect(box, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    layout->addWidget(box);
    dlg.resize(720, 420);
    dlg.exec();
}

} // namespace imago
