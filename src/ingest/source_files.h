// Which files a run reads, and in what order: the input paths in the order given and,
// inside each, every *.txt, *.csv and *.json below it by byte order of its relative path
// (reference-job.md "Input order"). The order fixes line lineage and which of two
// duplicate rows is "last", so it must never depend on the file system's listing order.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace stocklake {

struct SourceFile {
  std::string absolute_path;
  //! Relative to its --input path (a file input: its file name); the `source_file`
  //! column of rejects.
  std::string relative_path;
  int input_index = 0;  //!< Which --input it came from (0-based).
};

//! Walks the inputs in the order given; inside each directory, regular files named
//! *.txt, *.csv or *.json (extension case-sensitive) found recursively (symbolic links
//! followed, each directory visited once), sorted by ascending byte order of
//! relative_path. A file input is taken whatever its extension. An input that does not
//! exist -> NotFound; one that cannot be read (or a directory or listed file below it
//! that cannot be read, or an input that is neither file nor directory) ->
//! InvalidArgument. The messages name the path; the CLI exits 2 on either.
Result<std::vector<SourceFile>> ListSourceFiles(const std::vector<std::string>& input_paths);

}  // namespace stocklake
