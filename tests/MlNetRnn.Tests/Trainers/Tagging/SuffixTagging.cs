namespace MlNetRnn.Tests.Trainers.Tagging;

/// <summary>
/// A tagging task whose answer is in each word's spelling: random stems with the endings of four word classes, in random order, so
/// a word never seen in training can only be tagged from its letters. Seeded, so every test sees the same sentences.
/// </summary>
internal static class SuffixTagging
{
    public sealed class Row
    {
        [Microsoft.ML.Data.VectorType]
        public string[] Tokens { get; set; } = Array.Empty<string>();

        [Microsoft.ML.Data.VectorType]
        public string[] Tags { get; set; } = Array.Empty<string>();
    }

    private static readonly (string Ending, string Tag)[] Classes = { ("ing", "VBG"), ("ly", "RB"), ("ness", "NN"), ("ed", "VBD") };

    /// <summary>Sentences of 2-7 words from <paramref name="stems"/> stems of their own (seeded by <paramref name="seed"/>).</summary>
    public static Row[] Sentences(int count, int seed, int stems = 40)
    {
        var random = new Random(seed);
        var stemList = Enumerable.Range(0, stems).Select(_ => Stem(random)).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var words = Enumerable.Range(0, random.Next(2, 8)).Select(_ => Classes[random.Next(Classes.Length)]).ToArray();
            var stemsOfRow = words.Select(_ => stemList[random.Next(stemList.Length)]).ToArray();
            return new Row
            {
                Tokens = words.Select((w, i) => stemsOfRow[i] + w.Ending).ToArray(),
                Tags = words.Select(w => w.Tag).ToArray(),
            };
        }).ToArray();
    }

    private static string Stem(Random random) =>
        new(Enumerable.Range(0, random.Next(3, 6)).Select(_ => "bcdfgkmprstvwz"[random.Next(14)]).ToArray());
}
