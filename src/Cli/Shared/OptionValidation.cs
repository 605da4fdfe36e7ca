using System.CommandLine;

namespace MlNetRnn.Cli.Shared;

/// <summary>Option validators whose messages name the flag (not a library property), reported by System.CommandLine before anything runs.</summary>
internal static class OptionValidation
{
    public static Option<int> InRange(this Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            // A token that is not an integer already has a parse error; reading the value then would throw.
            if (result.Tokens.Count > 0 && !int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _))
                return;
            int value = result.GetValueOrDefault<int>();
            if (value < min || value > max)
                result.AddError($"{option.Name} must be between {min} and {max}; got {value}.");
        });
        return option;
    }

    /// <summary>A number in a range; <paramref name="minExclusive"/>/<paramref name="maxExclusive"/> leave an end out. The message names the flag and the interval.</summary>
    public static Option<double> InRange(this Option<double> option, double min, double max, bool minExclusive = false, bool maxExclusive = false)
    {
        option.Validators.Add(result => CheckRange(result, option.Name, result.GetValueOrDefault<double>(), min, max, minExclusive, maxExclusive));
        return option;
    }

    /// <summary>An optional number in a range when given (absent is fine); the message names the flag and the interval.</summary>
    public static Option<double?> InRange(this Option<double?> option, double min, double max, bool minExclusive = false, bool maxExclusive = false)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } value)
                CheckRange(result, option.Name, value, min, max, minExclusive, maxExclusive);
        });
        return option;
    }

    private static void CheckRange(System.CommandLine.Parsing.OptionResult result, string name, double value, double min, double max, bool minExclusive, bool maxExclusive)
    {
        // A token that is not a number already has a parse error.
        if (result.Tokens.Count > 0 && !double.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
            return;
        bool above = minExclusive ? value > min : value >= min;
        bool below = maxExclusive ? value < max : value <= max;
        if (!above || !below)
        {
            string interval = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(minExclusive ? "(" : "[")}{min}, {max}{(maxExclusive ? ")" : "]")}");
            result.AddError(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be in {interval}; got {value}."));
        }
    }

    public static Option<string> IsDevice(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            try
            {
                ExecutionDevice.Parse(value ?? string.Empty);
            }
            catch (FormatException ex)
            {
                result.AddError($"{option.Name}: {ex.Message}");
            }
        });
        return option;
    }
}
