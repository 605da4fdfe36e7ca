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
