#include "fault_env.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/files.h"

namespace stocklake::testing {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultEnv* env, std::unique_ptr<WritableFile> target) : env_(env), target_(std::move(target)) {}
  const std::string& path() const override { return target_->path(); }

  Status Append(std::string_view data) override {
    bool torn = false;
    if (Status st = env_->CountWrite(path(), &torn); !st.ok()) {
      if (torn) {
        const std::string_view half = data.substr(0, data.size() / 2);
        if (target_->Append(half).ok()) env_->Wrote(path(), 0, /*append=*/true, half.size());
      }
      return st;
    }
    SL_RETURN_IF_ERROR(target_->Append(data));
    env_->Wrote(path(), 0, /*append=*/true, data.size());
    return Status::OK();
  }

  Status WriteAt(uint64_t offset, std::string_view first, std::string_view second) override {
    bool torn = false;
    if (Status st = env_->CountWrite(path(), &torn); !st.ok()) {
      if (torn) {
        const size_t half = (first.size() + second.size()) / 2;
        const std::string_view a = first.substr(0, std::min(half, first.size()));
        const std::string_view b = second.substr(0, half - a.size());
        if (target_->WriteAt(offset, a, b).ok()) env_->Wrote(path(), offset + half, /*append=*/false, 0);
      }
      return st;
    }
    SL_RETURN_IF_ERROR(target_->WriteAt(offset, first, second));
    env_->Wrote(path(), offset + first.size() + second.size(), /*append=*/false, 0);
    return Status::OK();
  }

  void StartWriteBack(uint64_t offset, uint64_t length) override { target_->StartWriteBack(offset, length); }

  Status Sync() override {
    SL_RETURN_IF_ERROR(env_->CountSync(path()));
    SL_RETURN_IF_ERROR(target_->Sync());
    env_->Synced(path());
    return Status::OK();
  }

  Status SyncData() override {
    SL_RETURN_IF_ERROR(env_->CountSync(path()));
    SL_RETURN_IF_ERROR(target_->SyncData());
    env_->Synced(path());
    return Status::OK();
  }

  Status Close() override { return target_->Close(); }

 private:
  FaultEnv* env_;
  std::unique_ptr<WritableFile> target_;
};

FaultEnv::FaultEnv(Env* target) : EnvWrapper(target) {}

void FaultEnv::FailNthWrite(int n, int error, bool torn) {
  std::lock_guard lock(mu_);
  write_fault_ = {writes_ + n, error, torn};
}

void FaultEnv::FailNthSync(int n, int error) {
  std::lock_guard lock(mu_);
  sync_fault_ = {syncs_ + n, error, false};
}

void FaultEnv::FailNthRename(int n, int error) {
  std::lock_guard lock(mu_);
  rename_fault_ = {renames_ + n, error, false};
}

int FaultEnv::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

int FaultEnv::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

int FaultEnv::renames() const {
  std::lock_guard lock(mu_);
  return renames_;
}

void FaultEnv::ClearFaults() {
  std::lock_guard lock(mu_);
  write_fault_ = sync_fault_ = rename_fault_ = Fault{};
  down_ = false;
}

Status FaultEnv::Count(int* counter, const Fault& fault, const std::string& what, const std::string& path) {
  ++*counter;
  const int error = down_ ? EIO : (fault.at == *counter ? fault.error : 0);
  if (error == 0) return Status::OK();
  return Status::IOError("cannot " + what + " '" + path + "': " + std::strerror(error) + " (injected" +
                         (down_ ? " after a power loss)" : ")"));
}

Status FaultEnv::CountWrite(const std::string& path, bool* torn) {
  std::lock_guard lock(mu_);
  *torn = !down_ && write_fault_.torn && write_fault_.at == writes_ + 1;
  return Count(&writes_, write_fault_, "write", path);
}

Status FaultEnv::CountSync(const std::string& path) {
  std::lock_guard lock(mu_);
  return Count(&syncs_, sync_fault_, "fsync", path);
}

void FaultEnv::Wrote(const std::string& path, uint64_t end, bool append, uint64_t length) {
  std::lock_guard lock(mu_);
  FileState& f = files_[path];
  f.size = append ? f.size + length : std::max(f.size, end);
}

void FaultEnv::Synced(const std::string& path) {
  std::lock_guard lock(mu_);
  FileState& f = files_[path];
  f.synced = f.size;
}

Result<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path, OpenMode mode,
                                                                int permissions) {
  {
    std::lock_guard lock(mu_);
    if (down_) return Status::IOError("cannot create '" + path + "': the machine is down (injected power loss)");
  }
  const bool existed = target()->FileExists(path);
  uint64_t size = 0;
  if (existed && mode != OpenMode::kTruncate) {
    SL_ASSIGN_OR_RETURN(const FileInfo info, target()->GetFileInfo(path));
    size = info.size;
  }
  SL_ASSIGN_OR_RETURN(auto file, target()->NewWritableFile(path, mode, permissions));
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = files_.try_emplace(path);
    FileState& f = it->second;
    if (mode == OpenMode::kTruncate) {
      f.size = 0;
      f.synced = 0;  // the truncation is not durable before the next sync either
    } else if (inserted) {
      f.size = f.synced = size;  // what was there before this Env saw it counts as durable
    }
    if (!existed) f.created = true;
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

Status FaultEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mu_);
    SL_RETURN_IF_ERROR(Count(&renames_, rename_fault_, "rename '" + from + "' onto", to));
  }
  SL_RETURN_IF_ERROR(target()->RenameFile(from, to));
  std::lock_guard lock(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    FileState state = it->second;
    state.created = false;  // see the header: renames count as durable
    files_.erase(it);
    files_[to] = state;
  }
  return Status::OK();
}

Status FaultEnv::RemoveFile(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (down_) return Status::IOError("cannot remove '" + path + "': the machine is down (injected power loss)");
  }
  SL_RETURN_IF_ERROR(target()->RemoveFile(path));
  std::lock_guard lock(mu_);
  files_.erase(path);
  return Status::OK();
}

Status FaultEnv::TruncateFile(const std::string& path, uint64_t size) {
  {
    std::lock_guard lock(mu_);
    if (down_) return Status::IOError("cannot truncate '" + path + "': the machine is down (injected power loss)");
  }
  SL_RETURN_IF_ERROR(target()->TruncateFile(path, size));
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second.size = std::min(it->second.size, size);
    it->second.synced = std::min(it->second.synced, size);
  }
  return Status::OK();
}

Status FaultEnv::SyncDirectory(const std::string& dir) {
  {
    std::lock_guard lock(mu_);
    SL_RETURN_IF_ERROR(Count(&syncs_, sync_fault_, "fsync directory", dir));
  }
  SL_RETURN_IF_ERROR(target()->SyncDirectory(dir));
  std::lock_guard lock(mu_);
  for (auto& [path, f] : files_) {
    if (ParentDirectory(path) == dir) f.created = false;
  }
  return Status::OK();
}

Status FaultEnv::SyncFileSystem(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    SL_RETURN_IF_ERROR(Count(&syncs_, sync_fault_, "sync the file system of", path));
  }
  SL_RETURN_IF_ERROR(target()->SyncFileSystem(path));
  std::lock_guard lock(mu_);
  for (auto& [name, f] : files_) {
    f.synced = f.size;
    f.created = false;
  }
  return Status::OK();
}

Status FaultEnv::CopyFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mu_);
    if (down_) return Status::IOError("cannot copy to '" + to + "': the machine is down (injected power loss)");
  }
  return target()->CopyFile(from, to);
}

Status FaultEnv::SimulatePowerLoss(uint64_t keep_unsynced) {
  std::map<std::string, FileState> files;
  {
    std::lock_guard lock(mu_);
    down_ = true;
    files.swap(files_);
  }
  for (const auto& [path, f] : files) {
    if (f.created) {
      SL_RETURN_IF_ERROR(target()->RemoveFile(path));
    } else if (f.size > f.synced) {
      SL_RETURN_IF_ERROR(target()->TruncateFile(path, std::min(f.size, f.synced + keep_unsynced)));
    }
  }
  return Status::OK();
}

}  // namespace stocklake::testing
