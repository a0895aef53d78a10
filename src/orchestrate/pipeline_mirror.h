// Mirrors the pipeline history into the serving store (pipeline_runs, task_runs), so
// the runs can be queried beside the data. The lake's history is the truth: a store
// that is down or refuses a write costs a warning, never the run, and the next state
// change writes the whole run again.
#pragma once

#include <memory>
#include <string>

#include "orchestrate/pipeline_history.h"
#include "store/serving_store.h"

namespace stocklake {

//! The store rows of a run: its pipeline_runs row and its task_runs rows.
PipelineRunRow PipelineRunStoreRow(const PipelineRunRecord& run);
std::vector<TaskRunRow> TaskRunStoreRows(const PipelineRunRecord& run);

class PipelineMirror {
 public:
  //! Mirrors into the store named by `store_option` for `lake_dir` (as --store: ""
  //! the lake's SQLite store, "none" nothing). The store is opened on first use.
  PipelineMirror(std::string lake_dir, std::string store_option);
  ~PipelineMirror();

  //! Writes the run's rows; on failure warns once on stderr and goes on.
  void Mirror(const PipelineRunRecord& run);

 private:
  std::string url_;
  std::unique_ptr<ServingStore> store_;
  bool warned_ = false;
};

}  // namespace stocklake
