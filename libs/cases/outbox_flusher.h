#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "libs/cases/case_ledger_store.h"
#include "libs/kafka/producer.h"

namespace complaints::cases {

// Publishes the records of committed case batches (CaseBatch::Commit) and then clears their
// outboxes, on a thread of its own, while the consumer that committed them goes on with its next
// batch: routing's batch spent half its time waiting for that publish and clear (bench/README.md,
// routing_bench). Nothing is less durable for it: once committed, the records are in their
// cases' outboxes and the cases listed as pending, so a publish or clear that fails here (or a
// crash before it) is completed by the ledger's sweep (CaseLedger::FlushPending) or by whoever
// writes the case next, as after a failed publish in CaseLedger::Execute.
//
// Batches are flushed in the order submitted, those queued together in one publish, so the
// records of a case keep their order on its partition. At most `max_queued` wait: Submit blocks beyond that, which holds the
// consumer back to the pace of the broker instead of filling Redis with outboxes.
class OutboxFlusher {
 public:
  OutboxFlusher(CaseLedgerStore* store, kafka::Publisher* publisher, size_t max_queued = 4);
  ~OutboxFlusher();  // flushes what is queued, then stops

  OutboxFlusher(const OutboxFlusher&) = delete;
  OutboxFlusher& operator=(const OutboxFlusher&) = delete;

  struct Work {
    std::vector<kafka::OutgoingRecord> records;  // in the order appended
    // The cases written with those records, as they are once published (no pending records,
    // the revision the commit wrote): CaseLedgerStore::ClearPendingMany.
    std::vector<CaseLedgerStore::Write> cleared;
  };
  void Submit(Work work);
  // Returns once everything submitted before has been flushed, or has failed (and is left to
  // the sweep).
  void Drain();

 private:
  void Run();
  void Flush(Work& work);

  CaseLedgerStore* store_;
  kafka::Publisher* publisher_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable changed_;  // work queued or taken, a flush done, or stopping
  std::deque<Work> queue_;
  bool flushing_ = false;  // the thread holds a work taken from the queue
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace complaints::cases
