#include "video_assembler.h"

#include "facemirror/error.h"

namespace facemirror::detail {

video_assembler::video_assembler(int64_t frame_count, const shared_models& models)
    : frame_count_(frame_count) {
  columns_.mode_count = models.pdm->mode_count();
  if (models.aus) {
    predictor_ = std::make_unique<au_video_predictor>(models.aus);
    columns_.au_intensity_names = models.aus->intensity_names();
    columns_.au_presence_names = models.aus->presence_names();
  }
  records_.reserve(static_cast<size_t>(frame_count));
}

int64_t video_assembler::add_segment(int64_t segment, std::vector<analysed_frame> frames) {
  FACEMIRROR_CHECK(segment >= next_segment_ && waiting_.count(segment) == 0,
                   "segment delivered twice");
  waiting_.emplace(segment, std::move(frames));
  int64_t consumed_now = 0;
  for (auto it = waiting_.find(next_segment_); it != waiting_.end();
       it = waiting_.find(next_segment_)) {
    for (auto& frame : it->second)
      consume(frame);
    consumed_now += static_cast<int64_t>(it->second.size());
    waiting_.erase(it);
    ++next_segment_;
  }
  return consumed_now;
}

void video_assembler::consume(analysed_frame& frame) {
  FACEMIRROR_CHECK(frame.record.index == consumed_,
                   "frames reached the in-order stage out of order");
  if (predictor_)
    predictor_->add_frame(*frame.features);
  if (frame.record.success)
    ++successful_;
  records_.push_back(std::move(frame.record));
  ++consumed_;
}

std::string video_assembler::finish() {
  FACEMIRROR_CHECK(complete(), "video finished before all its frames were analysed");
  if (predictor_) {
    std::vector<au_values> aus = predictor_->finish();
    FACEMIRROR_CHECK(aus.size() == records_.size(), "AU predictor returned the wrong frame count");
    for (size_t i = 0; i < aus.size(); ++i) {
      records_[i].au_intensity = std::move(aus[i].intensity);
      records_[i].au_presence = std::move(aus[i].presence);
    }
  }
  std::string text = csv_header(columns_);
  text.reserve(text.size() + records_.size() * 4096);
  for (const auto& record : records_)
    append_csv_row(text, record, columns_);
  return text;
}

}  // namespace facemirror::detail
