using System.Text.Json;
using Xunit;

namespace MlNetRnn.Tests.Cli;

/// <summary>A small run of <c>mlnet-rnn bench</c>: it measures, writes every key, and the training baseline computes the same thing.</summary>
[Collection(CliCollection.Name)]
public sealed class CliBenchTests
{
    [Fact]
    public async Task BenchWritesEveryRatioAndTheRawLoopMatchesFitExactly()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-bench").FullName;
        try
        {
            int exit = await Program.Main(new[] { "bench", "--windows", "500", "--memory-windows", "10000", "--epochs", "2", "--repeats", "1", "--char-characters", "3001", "--text-rows", "64", "--lm-rows", "4", "--output", dir });

            Assert.Equal(0, exit);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var root = summary.RootElement;
            foreach (var key in new[] { "train_ratio_forecaster", "batched_vs_raw_ort", "batched_vs_mlnet_rowpath", "batch1_latency_vs_raw_ort", "forecast_windows_per_second", "peak_mb_10k", "peak_mb_1m" })
                Assert.True(root.GetProperty(key).GetDouble() > 0, key);
            Assert.True(root.GetProperty("train_ratio_charlm").GetDouble() > 0);
            foreach (var key in new[] { "train_ratio_textclf", "textclf_batched_vs_mlnet_rowpath", "textclf_reviews_batched_vs_mlnet_rowpath", "lm_losses_batched_vs_per_text", "lm_batched_vs_raw_ort", "lm_batched_vs_mlnet_rowpath", "lm_batched_vs_torch_eager", "lm_batch1_latency_vs_raw_ort", "matmul_gflops" })
                Assert.True(root.GetProperty(key).GetDouble() > 0, key);
            // The language-model loop and its raw twin also compute the same thing: same initial weights, batches and carried state.
            Assert.Equal(0, root.GetProperty("train_loss_abs_diff_charlm").GetDouble());
            // Same seed, network, preprocessing and batches: the estimator and the raw TorchSharp loop must end on the same loss.
            Assert.Equal(0, root.GetProperty("train_loss_abs_diff_forecaster").GetDouble());
            // The bench's forecaster carries the default linear part, and the sweep says what it costs against the graph without it.
            Assert.True(root.GetProperty("forecast_scoring_sweep").GetProperty("with the linear part / without it (time ratio)").GetDouble() > 0);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
