using Spectre.Console;

namespace MlNetRnn.Cli.Shared;

/// <summary>Runs a command body and turns expected failures into a one-line error and exit code 1.</summary>
internal static class CommandRunner
{
    public static int Run(Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]Cancelled.[/]");
            return 130;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidOperationException or InvalidDataException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 1;
        }
        catch (Exception ex) when (DiskFull.Is(ex))
        {
            // A full disk met outside the output set (the temp folder, a native library's own write) arrives as some other exception type.
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)} The disk is full: free some space (on the disk of --output, and of the temp folder " +
                                   $"'{Markup.Escape(Path.GetTempPath())}') and run again.");
            return 1;
        }
    }

}
