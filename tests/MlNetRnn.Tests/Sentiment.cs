using System.Globalization;

namespace MlNetRnn.Tests;

/// <summary>The review sentences in data/sentiment (Yelp and IMDB, 1,000 each, label 1 positive / 0 negative).</summary>
public static class Sentiment
{
    public sealed class Review
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
        public string Source { get; set; } = "";
    }

    public static Review[] Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "sentiment", file);
        return File.ReadAllLines(path).Skip(1).Where(l => l.Contains('\t'))
            .Select(l =>
            {
                int tab = l.LastIndexOf('\t');
                return new Review { Text = l[..tab], Label = int.Parse(l[(tab + 1)..].Trim(), CultureInfo.InvariantCulture) == 1, Source = file[..4] };
            }).ToArray();
    }
}
