namespace MlNetRnn.Cli.Generate;

/// <summary>The corpus embedded in the CLI, so <c>mlnet-rnn generate</c> runs with no arguments and no network.</summary>
internal static class EmbeddedCorpus
{
    /// <summary>Display name of the embedded corpus.</summary>
    public const string Name = "embedded tinyshakespeare.txt";

    /// <summary>About 1.1 MB of Shakespeare's plays (public domain).</summary>
    public static string TinyShakespeare()
    {
        using var stream = typeof(EmbeddedCorpus).Assembly.GetManifestResourceStream("MlNetRnn.Cli.Data.tinyshakespeare.txt")
            ?? throw new InvalidOperationException("The embedded tiny Shakespeare corpus is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
