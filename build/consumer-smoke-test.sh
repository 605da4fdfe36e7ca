#!/usr/bin/env bash
# Consumer smoke test: packs the three libraries into a temporary feed, creates a fresh console application outside the
# repository that references MlNetRnn.Trainers + TorchSharp-cpu + Microsoft.ML.OnnxRuntime from it, builds it, runs a tiny
# forecast and checks the output. It runs the application twice: with the package's build-time libstdc++ fix, and with
# that fix switched off, so that the library's run-time fix has to load TorchSharp (as in a notebook kernel). About 2-3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
app="$work/consumer"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
package_version() { sed -n "s:.*Include=\"$1\" Version=\"\([^\"]*\)\".*:\1:p" Directory.Packages.props | head -n 1; }
torchsharp=$(package_version TorchSharp-cpu)
onnxruntime=$(package_version Microsoft.ML.OnnxRuntime)

echo "== pack (one command for the solution) into $feed"
dotnet pack MlNetRnn.sln -c Release -o "$feed" -p:CI=true --nologo -v q
# Listings are read into variables before grep: with pipefail, `unzip -l | grep -q` fails whenever grep stops reading
# before unzip has written its last line (unzip dies of SIGPIPE), which made this check fail at random.
entries() { unzip -Z1 "$1"; }
for id in MlNetRnn.Transforms MlNetRnn.Onnx MlNetRnn.Trainers; do
  for ext in nupkg snupkg; do
    [ -f "$feed/$id.$version.$ext" ] || { echo "error: $id.$version.$ext was not produced" >&2; exit 1; }
  done
  listing=$(entries "$feed/$id.$version.nupkg")
  grep -qx 'README.md' <<<"$listing" || { echo "error: $id has no README.md" >&2; exit 1; }
done
listing=$(entries "$feed/MlNetRnn.Trainers.$version.nupkg")
grep -q 'buildTransitive/GlibcxxVersionNeed.cs' <<<"$listing" \
  || { echo "error: MlNetRnn.Trainers lacks its buildTransitive fix" >&2; exit 1; }
feed_files=$(ls "$feed")
if grep -qi 'mlnet-rnn' <<<"$feed_files"; then echo "error: the CLI was packed" >&2; exit 1; fi

echo "== a fresh console application in $app"
mkdir -p "$app"
cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$app/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MlNetRnn.Trainers" Version="$version" />
    <PackageReference Include="TorchSharp-cpu" Version="$torchsharp" />
    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="$onnxruntime" />
  </ItemGroup>
</Project>
XML
cat > "$app/Program.cs" <<'CS'
using System.Globalization;
using Microsoft.ML;
using MlNetRnn.Trainers;
using MlNetRnn.Trainers.Forecasting;

var ml = new MLContext(seed: 1);
// A seasonal series with a trend: ten years of months.
float[] values = Enumerable.Range(0, 120).Select(i => 100 + 0.5f * i + 10 * MathF.Sin(i * MathF.PI / 6)).ToArray();
var data = ml.Data.LoadFromEnumerable(values.Select(v => new Point { Value = v }));
using var model = ml.Rnn().Forecaster(new ForecasterOptions { SeriesColumnName = "Value", Window = 12, Horizon = 12, Epochs = 5, EnsembleSize = 1, Seed = 1 }).Fit(data);
float[] next = model.Forecast(values);
Console.WriteLine("forecast: " + string.Join(" ", next.Select(v => v.ToString("F2", CultureInfo.InvariantCulture))));
Console.WriteLine("parity: " + (model.Parity?.Passed == true ? "passed" : "failed"));
model.SaveOnnx("model.onnx");
Console.WriteLine("onnx bytes: " + new FileInfo("model.onnx").Length.ToString(CultureInfo.InvariantCulture));

sealed class Point { public float Value { get; set; } }
CS

check_output() {
  local out="$1"
  echo "$out"
  local count
  count=$(echo "$out" | sed -n 's/^forecast: //p' | wc -w)
  [ "$count" -eq 12 ] || { echo "error: expected 12 forecast values, got $count" >&2; exit 1; }
  grep -q '^parity: passed$' <<<"$out" || { echo "error: the ONNX parity check did not pass" >&2; exit 1; }
  grep -q '^onnx bytes: [1-9]' <<<"$out" || { echo "error: no model.onnx was written" >&2; exit 1; }
}

echo "== build and run with the package's build-time fix"
(cd "$app" && dotnet build -c Release --nologo -v q)
check_output "$(cd "$app" && dotnet bin/Release/net10.0/Consumer.dll)"

echo "== build without it: the library's run-time fix must load TorchSharp"
(cd "$app" && dotnet build -c Release --nologo -v q -p:LibTorchSharpGlibcxxFix=false -o "$work/unpatched")
check_output "$(cd "$app" && MLNETRNN_NATIVE_CACHE="$work/native-cache" dotnet "$work/unpatched/Consumer.dll")"
if ! grep -aq 'GLIBCXX_3.4.32' /lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null; then
  # This system's libstdc++ is too old for the unpatched file: the run above must have gone through a patched copy.
  copies=$(find "$work/native-cache" -name libLibTorchSharp.so 2>/dev/null | wc -l)
  [ "$copies" -eq 1 ] || { echo "error: the run-time fix wrote no patched copy ($copies found)" >&2; exit 1; }
  echo "the run-time fix loaded $(find "$work/native-cache" -name libLibTorchSharp.so)"
fi
echo "consumer smoke test passed"
