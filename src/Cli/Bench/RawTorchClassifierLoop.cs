using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Cli.Bench;

/// <summary>
/// The baseline of the text-classifier training benchmark: embedding → GRU over packed sequences → mean over each row's steps →
/// linear → BCE, Adam and clipping, written directly against TorchSharp, on batches of the same shape as the estimator's.
/// </summary>
internal static class RawTorchClassifierLoop
{
    /// <returns>Rows per second of one pass.</returns>
    public static double Train(long[][] rows, float[] labels, int vocabulary, int embedding, int hidden, int batchSize, double learningRate, int seed)
    {
        // libtorch's generator is process-wide: seeding it outside the lock the trainers hold would change a fit running in parallel.
        lock (TorchGate.Lock)
            return TrainLocked(rows, labels, vocabulary, embedding, hidden, batchSize, learningRate, seed);
    }

    private static double TrainLocked(long[][] rows, float[] labels, int vocabulary, int embedding, int hidden, int batchSize, double learningRate, int seed)
    {
        torch.manual_seed(seed);
        using var embed = nn.Embedding(vocabulary, embedding);
        using var gru = nn.GRU(embedding, hidden, 1, batchFirst: true);
        using var head = nn.Linear(hidden, 1);
        var parameters = embed.parameters().Concat(gru.parameters()).Concat(head.parameters()).ToList();
        using var adam = torch.optim.Adam(parameters, learningRate);
        var order = Enumerable.Range(0, rows.Length).ToArray();
        new Random(seed).Shuffle(order);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in order.Chunk(batchSize))
        {
            using var scope = torch.NewDisposeScope();
            int longest = batch.Max(i => rows[i].Length);
            var ids = new long[batch.Length * longest];
            for (int r = 0; r < batch.Length; r++)
                rows[batch[r]].CopyTo(ids, r * longest);
            var x = torch.tensor(ids, new long[] { batch.Length, longest });
            var lengths = torch.tensor(batch.Select(i => (long)rows[i].Length).ToArray());
            var packed = nn.utils.rnn.pack_padded_sequence(embed.call(x), lengths, batch_first: true, enforce_sorted: false);
            var (output, h) = gru.call(packed);
            var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: longest);
            var mean = padded.sum(1).div(lengths.to(ScalarType.Float32).unsqueeze(1));
            var y = torch.tensor(batch.Select(i => labels[i]).ToArray(), new long[] { batch.Length, 1 });
            var loss = nn.functional.binary_cross_entropy_with_logits(head.call(mean), y);
            adam.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            adam.step();
            packed.Dispose();
            output.Dispose();
        }
        return rows.Length / stopwatch.Elapsed.TotalSeconds;
    }
}
