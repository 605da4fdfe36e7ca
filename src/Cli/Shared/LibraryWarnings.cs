using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetRnn.Cli.Shared;

/// <summary>Collects the library's warnings (device fallbacks, data notes) from an MLContext's log, each once, for printing after the progress display.</summary>
internal static class LibraryWarnings
{
    public static List<string> Collect(MLContext mlContext)
    {
        var warnings = new List<string>();
        mlContext.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning && e.Source.StartsWith("MlNetRnn", StringComparison.Ordinal))
            {
                lock (warnings)
                {
                    if (!warnings.Contains(e.RawMessage))
                        warnings.Add(e.RawMessage);
                }
            }
        };
        return warnings;
    }
}
