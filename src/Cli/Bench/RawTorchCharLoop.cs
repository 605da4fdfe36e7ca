using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Cli.Bench;

/// <summary>
/// The baseline of the language-model training benchmark: embedding → LSTM → linear over the vocabulary, cross-entropy,
/// Adam, clipping, truncated back-propagation with the state carried (detached) between windows, written directly against
/// TorchSharp. With the same seed it starts from the same weights and sees the same batches as the estimator's loop.
/// </summary>
internal static class RawTorchCharLoop
{
    /// <returns>Training tokens per second and the mean loss of the pass.</returns>
    public static (double TokensPerSecond, double Loss) Train(long[] ids, int vocabulary, int embedding, int hidden, int layers, int batchSize, int sequenceLength,
        double learningRate, double clip, int seed)
    {
        // libtorch's generator is process-wide: seeding it outside the lock the trainers hold would change a fit running in parallel.
        lock (TorchGate.Lock)
            return TrainLocked(ids, vocabulary, embedding, hidden, layers, batchSize, sequenceLength, learningRate, clip, seed);
    }

    private static (double TokensPerSecond, double Loss) TrainLocked(long[] ids, int vocabulary, int embedding, int hidden, int layers, int batchSize, int sequenceLength,
        double learningRate, double clip, int seed)
    {
        torch.manual_seed(seed);
        using var embed = nn.Embedding(vocabulary, embedding);
        using var lstm = nn.LSTM(embedding, hidden, layers, batchFirst: true);
        using var head = nn.Linear(hidden, vocabulary);
        var parameters = embed.parameters().Concat(lstm.parameters()).Concat(head.parameters()).ToList();
        using var adam = torch.optim.Adam(parameters, learningRate);
        int rows = Math.Max(1, Math.Min(batchSize, ids.Length / 2));
        int columns = ids.Length / rows;
        using var streams = torch.tensor(ids.AsSpan(0, rows * columns).ToArray(), new long[] { rows, columns });
        Tensor? h = null, c = null;
        double sum = 0;
        long tokens = 0;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        for (long t = 0; t + 1 < columns; t += sequenceLength)
        {
            long length = Math.Min(sequenceLength, columns - 1 - t);
            using var scope = torch.NewDisposeScope();
            var x = streams.narrow(1, t, length);
            var y = streams.narrow(1, t + 1, length);
            adam.zero_grad();
            var (output, hn, cn) = lstm.call(embed.call(x), h is null ? null : (h, c!));
            var loss = nn.functional.cross_entropy(head.call(output).reshape(-1, vocabulary), y.reshape(-1));
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, clip);
            adam.step();
            h?.Dispose();
            c?.Dispose();
            h = hn.detach().MoveToOuterDisposeScope();
            c = cn.detach().MoveToOuterDisposeScope();
            sum += (double)loss.item<float>() * rows * length;
            tokens += rows * length;
        }
        double seconds = stopwatch.Elapsed.TotalSeconds;
        h?.Dispose();
        c?.Dispose();
        return (tokens / seconds, sum / tokens);
    }
}
