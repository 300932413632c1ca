using System;
using System.Globalization;
using Python.Runtime;
using QuantConnect.Algorithm.Framework.Execution;
using QuantConnect.Orders;
using QuantConnect.Python;

namespace QuantConnect.Algorithm.CSharp
{
    /// <summary>
    /// A C# algorithm that hosts the Python models of the linked libraries: the forecast
    /// alpha model, the sizing portfolio construction model and the adaptive risk model.
    /// Forecasts are replayed from an export in the ObjectStore (written by
    /// <c>ats lean export-forecasts</c>). LEAN starts Python only for Python algorithms, so
    /// <see cref="Initialize"/> starts it and puts the linked libraries on Python's path first.
    /// </summary>
    // lean-cli lean/components/config/lean_config_manager.py, get_complete_lean_config: the first QCAlgorithm subclass in Main.cs is the algorithm type, loaded from <project folder>.dll.
    public class AdaptiveForecastShim : QCAlgorithm
    {
        private PyObject _recorder;

        public override void Initialize()
        {
            var start = DateTime.Parse(Parameter("start_date", "2010-01-04"), CultureInfo.InvariantCulture);
            var end = DateTime.Parse(Parameter("end_date", "2012-12-31"), CultureInfo.InvariantCulture);
            SetStartDate(start.Year, start.Month, start.Day);
            SetEndDate(end.Year, end.Month, end.Day);
            SetCash(decimal.Parse(Parameter("cash", "100000"), CultureInfo.InvariantCulture));

            var assets = Parameter("assets", "AAPL,MSFT").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var ticker in assets)
            {
                AddEquity(ticker, Resolution.Daily);
            }

            var location = Parameter("forecasts_location", "adaptive_forecast/forecasts.jsonl");
            if (!ObjectStore.ContainsKey(location))
            {
                throw new ArgumentException($"recorded forecasts not found in the ObjectStore at '{location}'");
            }
            var export = ObjectStore.Read(location);

            // AlgorithmFactory/Loader.cs, TryCreatePythonAlgorithm: LEAN calls PythonInitializer.Initialize() only when it loads a Python algorithm.
            // Common/Python/PythonInitializer.cs, Initialize: starts the engine once, releases the GIL (BeginAllowThreads) and adds the config's python-additional-paths; it must run before any Py.GIL().
            // DockerfileLeanFoundation, ENV PYTHONNET_PYDLL: the image tells Python.NET which libpython to start.
            PythonInitializer.Initialize();
            // lean-cli lean/components/config/lean_config_manager.py, get_complete_lean_config: a Python project gets "/" + each library path, then /Library; a C# project gets neither, so add them the same way here.
            // lean-cli lean/components/docker/lean_runner.py, mount_project_and_library_directories: the workspace's Library/ is mounted at /Library.
            // Common/Python/PythonInitializer.cs, AddPythonPaths: takes the GIL itself and inserts only paths not yet on sys.path.
            PythonInitializer.AddPythonPaths(new[] { "/Library/alpha_models", "/Library/risk_models", "/Library/signal_bus", "/Library" });

            // Algorithm.CSharp/BasicPythonIntegrationTemplateAlgorithm.cs, Initialize: Py.Import runs while holding Py.GIL().
            using (Py.GIL())
            {
                dynamic settingsModule = Py.Import("risk_models.settings");
                dynamic recordedModule = Py.Import("alpha_models.lean.recorded_forecasts");
                dynamic sourcesModule = Py.Import("alpha_models.lean.forecast_sources");
                dynamic alphaModule = Py.Import("alpha_models.lean.forecast_alpha");
                dynamic constructionModule = Py.Import("risk_models.lean.forecast_sizing_portfolio_construction");
                dynamic riskModule = Py.Import("risk_models.lean.adaptive_risk_management");
                dynamic recorderModule = Py.Import("signal_bus.lean.execution_recorder");
                dynamic sinksModule = Py.Import("signal_bus.lean.execution_sinks");

                dynamic settings = settingsModule.StrategySettings();
                dynamic recorded = recordedModule.RecordedForecasts.from_json_lines(export);
                dynamic source = sourcesModule.RecordedForecastSource(recorded);

                PyObject alpha = alphaModule.ForecastAlphaModel(source, settings);
                PyObject construction = constructionModule.ForecastSizingPortfolioConstructionModel(settings);
                PyObject risk = riskModule.AdaptiveRiskManagementModel(settings);
                _recorder = recorderModule.ExecutionRecorder(sinksModule.DiscardSink());

                // Algorithm/QCAlgorithm.Framework.Python.cs, SetAlpha / SetPortfolioConstruction / AddRiskManagement take a PyObject and wrap the Python model.
                SetAlpha(alpha);
                SetPortfolioConstruction(construction);
                AddRiskManagement(risk);
            }
            SetExecution(new ImmediateExecutionModel());
        }

        public override void OnOrderEvent(OrderEvent orderEvent)
        {
            using (Py.GIL())
            {
                _recorder.InvokeMethod("record_order_event", this.ToPython(), orderEvent.ToPython());
            }
        }

        private string Parameter(string name, string defaultValue)
        {
            var value = GetParameter(name);
            return string.IsNullOrWhiteSpace(value) ? defaultValue : value;
        }
    }
}
