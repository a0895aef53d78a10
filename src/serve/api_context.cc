#include "serve/api_context.h"

#include "core/files.h"
#include "core/sha256.h"

namespace stocklake {

Result<std::unique_ptr<ServingStore>> ApiContext::Acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto s = std::move(pool_.back());
      pool_.pop_back();
      return s;
    }
  }
  return OpenServingStore(store_url);
}

void ApiContext::Release(std::unique_ptr<ServingStore> store) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(store));
}

Result<std::shared_ptr<const LakeSnapshot>> ApiContext::Snapshot() {
  const std::string current_path = options.lake_dir + "/_stocklake/CURRENT";
  std::string text;
  if (PathExists(current_path)) {
    SL_ASSIGN_OR_RETURN(text, ReadFileToString(current_path));
  }
  std::lock_guard lock(lake_mu_);
  if (snapshot_ == nullptr || text != current_text_) {
    SL_ASSIGN_OR_RETURN(LakeSnapshot s, LoadCurrentSnapshot(options.lake_dir));
    snapshot_ = std::make_shared<const LakeSnapshot>(std::move(s));
    current_text_ = text;
  }
  return snapshot_;
}

std::optional<TokenRecord> ApiContext::FindToken(const std::string& token_text, Status* error) {
  const std::string path = TokenFilePath(options.lake_dir);
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  std::lock_guard lock(tokens_mu_);
  const bool changed = !tokens_loaded_ || !exists || st.st_ino != tokens_stat_.st_ino ||
                       st.st_mtim.tv_nsec != tokens_stat_.st_mtim.tv_nsec ||
                       st.st_mtim.tv_sec != tokens_stat_.st_mtim.tv_sec || st.st_size != tokens_stat_.st_size;
  if (changed) {
    auto loaded = LoadTokens(options.lake_dir);
    if (!loaded.ok()) {
      *error = loaded.status();
      return std::nullopt;
    }
    tokens_by_hash_.clear();
    for (TokenRecord& t : *loaded) {
      if (t.revoked_at.empty()) tokens_by_hash_[t.sha256] = std::move(t);
    }
    tokens_stat_ = st;
    tokens_loaded_ = exists;
  }
  auto it = tokens_by_hash_.find(Sha256Hex(token_text));
  if (it == tokens_by_hash_.end()) return std::nullopt;
  return it->second;
}

bool ApiContext::TryAcquireStreamSlot() {
  std::lock_guard lock(stream_mu_);
  if (stopping_ || streams_ >= options.max_streams) return false;
  ++streams_;
  return true;
}

void ApiContext::ReleaseStreamSlot() {
  {
    std::lock_guard lock(stream_mu_);
    --streams_;
  }
  stream_cv_.notify_all();
}

bool ApiContext::WaitWhileServing(std::chrono::milliseconds timeout) {
  std::unique_lock lock(stream_mu_);
  stream_cv_.wait_for(lock, timeout, [this] { return stopping_; });
  return stopping_;
}

bool ApiContext::WaitForStreamsToEnd(std::chrono::milliseconds timeout) {
  std::unique_lock lock(stream_mu_);
  return stream_cv_.wait_for(lock, timeout, [this] { return streams_ == 0; });
}

void ApiContext::BeginStop() {
  {
    std::lock_guard lock(stream_mu_);
    stopping_ = true;
  }
  stream_cv_.notify_all();
}

}  // namespace stocklake
