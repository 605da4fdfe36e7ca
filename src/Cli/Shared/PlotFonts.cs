namespace MlNetRnn.Cli.Shared;

/// <summary>Whether plots can have text: ScottPlot draws text with system fonts, which a minimal machine may lack.</summary>
internal static class PlotFonts
{
    /// <summary>Whether Skia can find any font family to draw text with.</summary>
    public static bool HasFonts => SkiaSharp.SKTypeface.Default.GlyphCount > 0;

    /// <summary>The warning shown when <paramref name="file"/> will have no text.</summary>
    public static string NoFontsWarning(string file) =>
        $"No system fonts were found, so {file} will have no titles, labels or legend text. " +
        "Install a font package (Debian/Ubuntu: apt-get install fonts-dejavu-core) for labelled plots.";
}
