// The cases of op_cases.hpp, family by family. Bounds: the CUDA code is compiled without fused
// multiply-adds, like the host code, and IEEE add, multiply, divide and sqrt round the same on both,
// so ops made only of those must give the same bits; expf/logf/powf (CUDA's are within 2 ulp, not
// glibc's) and sums that cuBLAS orders differently get a bound, with the reason.
#include <cmath>
#include <limits>
#include <random>

#include "astraea/kernels/op_list.hpp"
#include "op_cases.hpp"

namespace astraea::testing {
namespace {

std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

std::vector<float> filled(size_t n, float value) { return std::vector<float>(n, value); }

// Replica steps covering every flag the update ops branch on; replica r gets flags r (mod 64).
std::vector<ReplicaStep> every_flag(int64_t replicas) {
  std::vector<ReplicaStep> steps(static_cast<size_t>(replicas));
  for (int64_t r = 0; r < replicas; ++r) {
    ReplicaStep& s = steps[size_t(r)];
    s.flags = (uint32_t(r % 64) & ~uint32_t(ReplicaStep::kActive)) | (r % 5 != 4 ? ReplicaStep::kActive : 0u);
    s.bias_correction1 = 1.0f / (1.0f - std::pow(0.9f, float(1 + r % 3)));
    s.bias_correction2 = 1.0f / (1.0f - std::pow(0.999f, float(1 + r % 3)));
    s.coef = 0.05f * float(1 + r % 7);
    s.inv_valid = 1.0f / float(1 + r % 4);
    s.client = int32_t(r % 3);
    s.visit_steps = 1 + int32_t(r % 4);
  }
  return steps;
}

const ConvGeometry kConv{9, 8, 3, 5, 4, 3, 3, 2, 1};  // in 9x8x3, out 5x4, 3x3 kernel, stride 2, pad 1
const PoolGeometry kPool{9, 8, 3, 4, 4, 2};           // floor mode: row 8 of 9 has no window

std::vector<OpCase> elementwise() {
  std::vector<OpCase> c;
  c.push_back({"BiasAdd", 0, 0, "", [](OpRun& run) {
                 const int64_t R = 3, B = 5, F = 130, stride = 300, offset = 17;
                 float* y = run.buffer(uniform(size_t(R * B * F), 1));
                 const float* params = run.buffer(uniform(size_t(R * stride), 2));
                 run.launch(BiasAdd{y, params, stride, offset, B, F}, R * B, F);
               }});
  c.push_back({"BiasGrad", 1e-5, 1e-4,
               "cuBLAS sums the 300 rows in its own order: two orders of 300 terms of size 1 differ by about "
               "sqrt(300) ulp of the partial sums (3e-5)",
               [](OpRun& run) {
                 const int64_t R = 4, B = 300, F = 33, stride = 200, offset = 9;
                 const float* dy = run.buffer(uniform(size_t(R * B * F), 3));
                 float* fused = run.buffer(uniform(size_t(R * stride), 4));
                 float* fresh = run.buffer(filled(size_t(R * stride), 7.0f));
                 run.launch(BiasGrad{dy, fused, stride, offset, B, F, -0.1f, 1.0f}, R, F);  // an SGD step
                 run.launch(BiasGrad{dy, fresh, stride, offset, B, F, 1.0f, 0.0f}, R, F);   // overwrite
               }});
  c.push_back({"ReluForward", 0, 0, "", [](OpRun& run) {
                 std::vector<float> x = uniform(1000, 5);
                 x[3] = 0.0f, x[4] = -0.0f;
                 const float* in = run.buffer(x);
                 float* y = run.buffer(filled(x.size(), -3.0f));
                 run.launch(ReluForward{in, y}, 1, int64_t(x.size()));
               }});
  c.push_back({"ReluBackward", 0, 0, "", [](OpRun& run) {
                 std::vector<float> y = uniform(1000, 6);
                 for (size_t i = 0; i < y.size(); i += 3) y[i] = 0.0f;
                 const float* yy = run.buffer(y);
                 const float* dy = run.buffer(uniform(y.size(), 7));
                 float* dx = run.buffer(filled(y.size(), -3.0f));
                 run.launch(ReluBackward{yy, dy, dx}, 1, int64_t(y.size()));
               }});
  c.push_back({"Dropout", 0, 0, "", [](OpRun& run) {
                 const int64_t R = 3, per = 1001;  // not a multiple of 4: a short last quad
                 const float* in = run.buffer(uniform(size_t(R * per), 8));
                 float* out = run.buffer(filled(size_t(R * per), -3.0f));
                 const uint32_t* keys = run.buffer(std::vector<uint32_t>{11, 4, 900});
                 run.launch(Dropout{in, out, keys, 77, 5, 3, per, 0.3f}, R, Dropout::quads(per));
               }});
  return c;
}

std::vector<OpCase> spatial() {
  std::vector<OpCase> c;
  const int64_t samples = 3;
  c.push_back({"Im2col", 0, 0, "", [=](OpRun& run) {
                 const float* x = run.buffer(uniform(size_t(samples * kConv.in_pixels()), 9));
                 float* cols = run.buffer(filled(size_t(samples * kConv.out_positions() * kConv.patch()), -3.0f));
                 run.launch(Im2col{x, cols, kConv}, samples * kConv.out_positions(), kConv.in_c);
               }});
  c.push_back({"Col2im", 0, 0, "", [=](OpRun& run) {
                 const float* dcols = run.buffer(uniform(size_t(samples * kConv.out_positions() * kConv.patch()), 10));
                 float* dx = run.buffer(filled(size_t(samples * kConv.in_pixels()), -3.0f));
                 run.launch(Col2im{dcols, dx, kConv}, samples * kConv.in_h * kConv.in_w, kConv.in_c);
               }});
  auto pool_input = [=] {
    std::vector<float> x = uniform(size_t(samples * kPool.in_h * kPool.in_w * kPool.channels), 11);
    for (size_t i = 0; i + 7 < x.size(); i += 7) x[i + 1] = x[i];  // ties: the first maximum wins
    return x;
  };
  c.push_back({"MaxPoolForward", 0, 0, "", [=](OpRun& run) {
                 const float* x = run.buffer(pool_input());
                 float* y = run.buffer(filled(size_t(samples * kPool.out_h * kPool.out_w * kPool.channels), -3.0f));
                 run.launch(MaxPoolForward{x, y, kPool}, samples * kPool.out_h * kPool.out_w, kPool.channels);
               }});
  c.push_back({"MaxPoolBackward", 0, 0, "", [=](OpRun& run) {
                 const float* x = run.buffer(pool_input());
                 const float* dy = run.buffer(uniform(size_t(samples * kPool.out_h * kPool.out_w * kPool.channels), 12));
                 float* dx = run.buffer(filled(size_t(samples * kPool.in_h * kPool.in_w * kPool.channels), -3.0f));
                 run.launch(MaxPoolBackward{x, dy, dx, kPool}, samples * kPool.in_h * kPool.in_w, kPool.channels);
               }});
  c.push_back({"NhwcNchw", 0, 0, "", [=](OpRun& run) {
                 const int64_t hw = 130, channels = 4, n = samples * hw * channels;
                 const float* a = run.buffer(uniform(size_t(n), 13));
                 float* b = run.buffer(filled(size_t(n), -3.0f));
                 float* back = run.buffer(filled(size_t(n), -3.0f));
                 run.launch(NhwcNchw{a, b, hw, channels, true}, samples * channels, hw);
                 run.launch(NhwcNchw{b, back, hw, channels, false}, samples * channels, hw);
               }});
  return c;
}

std::vector<OpCase> gather_and_loss() {
  std::vector<OpCase> c;
  // A pool of 6 base and 4 generated 3 x 10 x 13 images; gathered ids include masked rows (-1) and
  // generated samples.
  auto pool_of = [](OpRun& run) {
    std::mt19937 rng(14);
    std::vector<uint8_t> base(6 * 390), extra(4 * 390);
    for (auto& v : base) v = uint8_t(rng());
    for (auto& v : extra) v = uint8_t(rng());
    return SamplePool{run.buffer(base), run.buffer(std::vector<int32_t>{0, 1, 2, 3, 4, 5}), 6, run.buffer(extra),
                      run.buffer(std::vector<int32_t>{9, 8, 7, 6}), 3, 10, 13};
  };
  const std::vector<int32_t> ids = {3, -1, 7, 0, 9, 5, -1, 6, 1, 8, 2, 4};
  c.push_back({"GatherImages", 0, 0, "", [=](OpRun& run) {
                 const SamplePool pool = pool_of(run);
                 const int32_t* id = run.buffer(ids);
                 float* out = run.buffer(filled(ids.size() * 390, -3.0f));
                 run.launch(GatherImages{pool, id, out}, int64_t(ids.size()), 130);
               }});
  c.push_back({"GatherLabels", 0, 0, "", [=](OpRun& run) {
                 const SamplePool pool = pool_of(run);
                 const int32_t* id = run.buffer(ids);
                 int32_t* out = run.buffer(std::vector<int32_t>(ids.size(), -7));
                 run.launch(GatherLabels{pool, id, out}, 1, int64_t(ids.size()));
               }});
  c.push_back({"SoftmaxLoss", 1e-5, 1e-6,
               "expf, logf and powf are within 2 ulp on the GPU, not glibc's; p - 1 and 1 - p_y cancel near 1",
               [](OpRun& run) {
                 const int64_t R = 3, B = 7, C = 10;
                 std::vector<float> z = uniform(size_t(R * B * C), 15, -4, 4);
                 for (int k = 0; k < C; ++k) z[size_t(C + k)] = k == 2 ? 30.0f : -30.0f;  // a certain row
                 std::vector<int32_t> labels(size_t(R * B));
                 for (size_t i = 0; i < labels.size(); ++i) labels[i] = i % 5 == 4 ? -1 : int32_t(i % C);
                 labels[1] = 2;
                 const float* logits = run.buffer(z);
                 const int32_t* y = run.buffer(labels);
                 const ReplicaStep* steps = run.buffer(every_flag(R));
                 const float* scale = run.buffer(uniform(size_t(3 * C), 16, 0.5f, 1.5f));
                 const float* offset = run.buffer(uniform(size_t(3 * C), 17));
                 for (float gamma : {0.0f, 2.0f}) {
                   float* loss = run.buffer(filled(size_t(R * B), -3.0f));
                   float* dlogits = run.buffer(filled(size_t(R * B * C), -3.0f));
                   int32_t* predicted = run.buffer(std::vector<int32_t>(size_t(R * B), -7));
                   run.launch(SoftmaxLoss{logits, y, steps, loss, dlogits, predicted, B, int(C), scale, offset, gamma},
                              1, R * B);
                 }
                 float* loss = run.buffer(filled(size_t(R * B), -3.0f));  // plain cross-entropy, loss only
                 run.launch(SoftmaxLoss{logits, y, nullptr, loss, nullptr, nullptr, B, int(C)}, 1, R * B);
               }});
  c.push_back({"LossSum", 1e-5, 1e-5, "cuBLAS sums the 50 losses in its own order (sums up to 160: ulp 1.5e-5)",
               [](OpRun& run) {
                 const int64_t R = 5, B = 50;
                 const float* loss = run.buffer(uniform(size_t(R * B), 18, 0, 3));
                 float* total = run.buffer(uniform(size_t(R), 19, 0, 10));
                 run.launch(LossSum{loss, total, B}, R, 1);
               }});
  return c;
}

std::vector<OpCase> updates() {
  std::vector<OpCase> c;
  // Replica rows padded to S (as the trainer's waves are): the padding must stay as it was.
  const int64_t R = 12, P = 150, S = 160;
  c.push_back({"OptimizerUpdate", 0, 0, "", [=](OpRun& run) {
                 // One replica writes into the aggregate (as a CPU lane's last step does): several
                 // would race on the GPU.
                 std::vector<ReplicaStep> flags = every_flag(R);
                 for (int64_t r = 0; r < R; ++r) {
                   if (r != 9) flags[size_t(r)].flags &= ~uint32_t(ReplicaStep::kAccumulate);
                 }
                 const ReplicaStep* steps = run.buffer(flags);
                 const float* grad = run.buffer(uniform(size_t(R * S), 20));
                 const float* global = run.buffer(uniform(size_t(P), 21));
                 for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kMomentum, OptimizerKind::kAdam}) {
                   OptimizerParams opt;
                   opt.kind = kind;
                   opt.lr = 0.05f;
                   float* w = run.buffer(uniform(size_t(R * S), 22));
                   float* m = run.buffer(uniform(size_t(R * S), 23));
                   float* v = run.buffer(uniform(size_t(R * S), 24, 0, 1));
                   float* acc = run.buffer(filled(size_t(P), 0.5f));
                   run.launch(OptimizerUpdate{opt, w, grad, m, v, global, acc, steps, P, S}, R, P);
                 }
               }});
  c.push_back({"WeightedDeltaSum", 0, 0, "", [=](OpRun& run) {
                 float* acc = run.buffer(uniform(size_t(P), 25));
                 const float* w = run.buffer(uniform(size_t(R * S), 26));
                 const float* global = run.buffer(uniform(size_t(P), 27));
                 const float* coef = run.buffer(uniform(size_t(R), 28, 0, 1));
                 run.launch(WeightedDeltaSum{acc, w, global, coef, R, P, S}, 1, P);
               }});
  c.push_back({"BroadcastRows", 0, 0, "", [=](OpRun& run) {
                 float* w = run.buffer(filled(size_t(R * S), -3.0f));
                 const float* global = run.buffer(uniform(size_t(P), 29));
                 run.launch(BroadcastRows{w, global, P, S}, R, P);
               }});
  c.push_back({"Axpy", 0, 0, "", [](OpRun& run) {
                 float* y = run.buffer(uniform(700, 30));
                 const float* x = run.buffer(uniform(700, 31));
                 run.launch(Axpy{y, x, -0.25f}, 1, 700);
               }});
  c.push_back({"FlagNonFinite", 0, 0, "", [](OpRun& run) {
                 std::vector<float> bad = uniform(500, 32);
                 bad[123] = std::numeric_limits<float>::quiet_NaN();
                 bad[456] = -std::numeric_limits<float>::infinity();
                 const float* x = run.buffer(bad);
                 const float* fine = run.buffer(uniform(500, 33));
                 int32_t* flag = run.buffer(std::vector<int32_t>{0});
                 int32_t* clear = run.buffer(std::vector<int32_t>{0});
                 run.launch(FlagNonFinite{x, flag}, 1, 500);
                 run.launch(FlagNonFinite{fine, clear}, 1, 500);
               }});
  c.push_back({"ServerOptimizerStep", 0, 0, "", [=](OpRun& run) {
                 const float* delta = run.buffer(uniform(size_t(P), 34, -0.1f, 0.1f));
                 for (ServerOptimizerKind kind : {ServerOptimizerKind::kMomentum, ServerOptimizerKind::kAdagrad,
                                                  ServerOptimizerKind::kYogi, ServerOptimizerKind::kAdam}) {
                   float* global = run.buffer(uniform(size_t(P), 35));
                   float* m = run.buffer(uniform(size_t(P), 36, -0.1f, 0.1f));
                   float* v = run.buffer(uniform(size_t(P), 37, 0, 0.02f));
                   run.launch(ServerOptimizerStep{kind, global, delta, m, v, 0.1f, 0.9f, 0.9f, 0.99f, 1e-3f}, 1, P);
                 }
               }});
  return c;
}

std::vector<OpCase> client_terms() {
  std::vector<OpCase> c;
  const int64_t R = 10, P = 140, S = 160;  // padded replica rows
  c.push_back({"ProxGradient", 0, 0, "", [=](OpRun& run) {
                 float* grad = run.buffer(uniform(size_t(R * S), 38));
                 const float* w = run.buffer(uniform(size_t(R * S), 39));
                 const float* global = run.buffer(uniform(size_t(P), 40));
                 const ReplicaStep* steps = run.buffer(every_flag(R));
                 run.launch(ProxGradient{grad, w, global, steps, P, 0.1f, S}, R, P);
               }});
  c.push_back({"ScaffoldCorrection", 0, 0, "", [=](OpRun& run) {
                 float* grad = run.buffer(uniform(size_t(R * S), 41));
                 const float* w = run.buffer(uniform(size_t(R * S), 42));
                 const float* global = run.buffer(uniform(size_t(P), 43));
                 const float* control = run.buffer(uniform(size_t(P), 44, -0.1f, 0.1f));
                 float* start = run.buffer(uniform(size_t(R * S), 45));
                 float* delta_c = run.buffer(uniform(size_t(R * S), 46, -0.1f, 0.1f));
                 float* states = run.buffer(uniform(size_t(R * P), 47, -0.1f, 0.1f));  // one row per replica's client
                 std::vector<ReplicaStep> steps = every_flag(R);
                 for (int64_t r = 0; r < R; ++r) steps[size_t(r)].client_state = states + r * P;
                 run.launch(ScaffoldCorrection{grad, w, global, control, start, delta_c, run.buffer(steps), P, 0.05f, S},
                            R, P);
               }});
  c.push_back({"SumRows", 0, 0, "", [](OpRun& run) {
                 float* out = run.buffer(uniform(300, 48));
                 const float* rows = run.buffer(uniform(7 * 320, 49));
                 run.launch(SumRows{out, rows, 7, 300, 320}, 1, 300);
               }});
  return c;
}

std::vector<OpCase> augment_and_scheduler() {
  std::vector<OpCase> c;
  c.push_back({"AugmentImages", 0, 0, "", [](OpRun& run) {
                 const int channels = 3, h = 12, w = 10, n = 5;
                 std::mt19937 rng(50);
                 std::vector<uint8_t> pool(size_t(n * channels * h * w));
                 for (auto& v : pool) v = uint8_t(rng());
                 std::vector<AugmentJob> jobs;
                 for (uint32_t copy = 0; copy < 40; ++copy) {  // every op, drawn on the host
                   jobs.push_back(make_augment_job(int32_t(copy % n), 3, copy % 4, copy % 7, copy, AugmentRanges{}, h, w,
                                                   kAllOps));
                 }
                 const uint8_t* images = run.buffer(pool);
                 const AugmentJob* j = run.buffer(jobs);
                 uint8_t* out = run.buffer(std::vector<uint8_t>(jobs.size() * channels * h * w, 77));
                 run.launch(AugmentImages{images, j, out, channels, h, w}, int64_t(jobs.size()), h);
               }});
  c.push_back({"KldScores", 1e-12, 1e-12, "log in double is within 1 ulp on the GPU; KL near 0 cancels",
               [](OpRun& run) {
                 const int classes = 10, n = 300;
                 std::mt19937 rng(51);
                 std::vector<int32_t> hist(size_t(n * classes));
                 for (size_t i = 0; i < hist.size(); ++i) hist[i] = i % 13 == 0 ? 0 : int32_t(rng() % 50);
                 for (int y = 0; y < classes; ++y) hist[size_t(7 * classes + y)] = 0;  // an empty client
                 std::vector<uint8_t> live(n, 1);
                 for (size_t i = 0; i < live.size(); i += 9) live[i] = 0;
                 const int32_t* h = run.buffer(hist);
                 const int64_t* empty = run.buffer(std::vector<int64_t>(classes, 0));
                 const int64_t* merged = run.buffer(std::vector<int64_t>{40, 0, 3, 17, 0, 5, 90, 1, 0, 12});
                 const uint8_t* alive = run.buffer(live);
                 double* a = run.buffer(std::vector<double>(n, -3.0));
                 double* b = run.buffer(std::vector<double>(n, -3.0));
                 run.launch(KldScores{h, empty, a, classes, nullptr}, 1, n);
                 run.launch(KldScores{h, merged, b, classes, alive}, 1, n);
               }});
  c.push_back({"ChunkArgmin", 0, 0, "", [](OpRun& run) {
                 const int64_t count = 200, chunk = 7, chunks = (count + chunk - 1) / chunk;
                 std::mt19937 rng(52);
                 std::vector<double> scores(static_cast<size_t>(count));
                 for (auto& s : scores) s = double(rng() % 1000) / 997.0;
                 scores[50] = scores[53] = 0.0001;  // a tie across a chunk
                 for (int64_t i = 140; i < 147; ++i) scores[size_t(i)] = kDeadScore;  // a dead chunk
                 const double* s = run.buffer(scores);
                 double* least = run.buffer(std::vector<double>(size_t(chunks), -3.0));
                 int64_t* pick = run.buffer(std::vector<int64_t>(size_t(chunks), -7));
                 double* pick_score = run.buffer(std::vector<double>(size_t(chunks), -3.0));
                 run.launch(ChunkArgmin{s, count, chunk, 0.002, least, pick, pick_score}, 1, chunks);
               }});
  return c;
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> all = [] {
    std::vector<OpCase> c;
    for (auto family : {elementwise, spatial, gather_and_loss, updates, client_terms, augment_and_scheduler}) {
      for (OpCase& one : family()) c.push_back(std::move(one));
    }
    return c;
  }();
  return all;
}

}  // namespace astraea::testing
