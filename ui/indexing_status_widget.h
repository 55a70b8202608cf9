// indexing_status_widget.h - the indexing strip under the results: a progress bar with the
// count, the rate and the time left, pause/resume and stop buttons, and a button that opens
// the list of rejected files with their reasons. Driven by IndexingController signals.
// GUI thread only.
#pragma once

#include "indexing_run.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;
class QDialog;

namespace imago {

class IndexingController;
class RejectedModel;

class IndexingStatusWidget : public QWidget
{
    Q_OBJECT
public:
    IndexingStatusWidget(IndexingController *controller, RejectedModel *rejected,
                         QWidget *parent = nullptr);

    // The text of the status line, for tests and the window title.
    QString statusText() const;
    static QString formatDuration(double seconds);
    void setRejectedCount(qint64 count);

public Q_SLOTS:
    void showRejected();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void onStarted();
    void onProgress(const IndexingProgress &p);
    void onFinished(const IndexingSummary &s);
    void onFailed(const QString &message);
    void updatePauseButton();

    IndexingController *m_controller;
    RejectedModel *m_rejected;
    QProgressBar *m_bar = nullptr;
    QLabel *m_label = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_rejectedButton = nullptr;
    qint64 m_rejectedCount = 0;
    enum class Phase { Idle, Running, Done, Failed } m_phase = Phase::Idle;
    IndexingProgress m_progress;
    IndexingSummary m_summary;
    QString m_error;
};

} // namespace imago
