package io.github.lifeline.drill.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lifeline.drill.run.DrillPlan;
import io.github.lifeline.drill.run.Scenario;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report files: JSON that reads back, a self-contained HTML page, SVG timelines, the Markdown table. */
class ReportTest {

  static DrillReport sample() {
    SideResult base = new SideResult("baseline-postgresql-blackhole-inflight", 10.02, 10.02, 0, 0, 10019.0,
        10029.0, true, List.of("callerBlockedSeconds", "deadInPoolSeconds", "worstBorrowMs", "refillMs"), null,
        "blocked", 120, new SideResult.Timeline(
            List.of(new double[] {-0.7, 6, 6, 0, 0, 0}, new double[] {0, 6, 0, 6, 0, 0},
                new double[] {10.02, 6, 0, 6, 0, 0}),
            List.of(new double[] {-0.5, 0.4, 0, 50000}, new double[] {0.004, 10016, 3, 50000}),
            List.of(), new double[] {0, 10.02}, List.of()), null, 0);
    SideResult life = new SideResult("lifeline-postgresql-blackhole-inflight", 3.43, 3.44, 0, 1, 3420.0, 2388.0,
        false, List.of(), 3.001, "error 08006", 700, new SideResult.Timeline(
            List.of(new double[] {-0.7, 6, 6, 0, 0, 0}, new double[] {0, 6, 0, 6, 0, 0},
                new double[] {3.01, 2, 2, 0, 6, 0}, new double[] {10.02, 6, 6, 0, 6, 0}),
            List.of(new double[] {-0.5, 0.4, 0, 50010}, new double[] {0.004, 3420, 2, 50010},
                new double[] {3.5, 1.2, 0, 50100}, new double[] {4.0, 2000, 1, -1}),
            List.of(new double[] {3.001, 50012}), new double[] {0, 3.43},
            List.of(new SideResult.Connection(50012, true, 3.001, "GONE", 3.002, 3.0012))), 3.0012, 0);
    DrillPlan plan = new DrillPlan(false);
    ScenarioResult ran = new ScenarioResult("postgresql", "blackhole-inflight", "ran", null,
        Scenario.BLACKHOLE_INFLIGHT.description(), plan.settings(Scenario.BLACKHOLE_INFLIGHT),
        new ScenarioResult.Window(-0.78, 10.02, 0.0, null, "the statement in flight at the fault"), base, life);
    ScenarioResult skipped = new ScenarioResult("mysql", "blackhole-idle", "skipped",
        "fault injection needs root and nftables: not root (uid 65534)", Scenario.BLACKHOLE_IDLE.description(),
        plan.settings(Scenario.BLACKHOLE_IDLE), null, null, null);
    DrillReport.Meta meta = new DrillReport.Meta("0.1.0-SNAPSHOT", "2026-01-01T10:00:00Z", "full", List.of("run"),
        115.0, new DrillReport.Machine("Linux amd64", "6.18", 2, 24000, "17.0.15", 1.5, 0, null),
        new DrillReport.Load(6, 10, "select 1", 2000, 1000));
    return new DrillReport(meta, List.of(ran, skipped));
  }

  @Test
  void jsonReadsBackWithTheFieldsTheIssueAsksFor(@TempDir Path dir) throws Exception {
    ReportWriter.write(sample(), dir);
    String json = Files.readString(dir.resolve(ReportWriter.JSON));
    assertThat(json).contains("\"scenarios\"", "\"driver\" : \"postgresql\"", "\"fault\" : \"blackhole-inflight\"",
        "\"settings\"", "\"baseline\"", "\"lifeline\"", "\"callerBlockedSeconds\"", "\"deadInPoolSeconds\"",
        "\"failedBorrows\"", "\"worstBorrowMs\"", "\"refillMs\"", "\"capped\"");
    DrillReport back = ReportWriter.read(dir.resolve(ReportWriter.JSON));
    assertThat(back.scenarios()).hasSize(2);
    ScenarioResult s = back.scenarios().get(0);
    assertThat(s.baseline().capped()).isTrue();
    assertThat(s.lifeline().callerBlockedSeconds()).isEqualTo(3.43);
    assertThat(s.lifeline().inflightFailures()).isEqualTo(1);
    assertThat(s.lifeline().timeline().borrows().get(1)).containsExactly(0.004, 3420, 2, 50010);
    assertThat(s.settings()).containsEntry("userTimeoutMs", 3000);
    assertThat(back.scenarios().get(1).status()).isEqualTo("skipped");
    assertThat(back.scenarios().get(1).reason()).contains("not root");
  }

  @Test
  void htmlIsOnePageWithNothingToFetch(@TempDir Path dir) throws Exception {
    ReportWriter.write(sample(), dir);
    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "</svg>", "baseline", "Lifeline",
        "postgresql blackhole-inflight", "≥10.02", "3.43", "skipped: fault injection needs root and nftables");
    assertThat(html).doesNotContain("<script", "<link", "src=\"", "url(", "@import");
    assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http:", "https:");
    assertThat(html.split("<svg", -1)).as("one timeline for the one scenario that ran").hasSize(2);
  }

  @Test
  void timelinesAreWellFormedSvgWithTheMarks(@TempDir Path dir) throws Exception {
    ReportWriter.write(sample(), dir);
    Path svg = dir.resolve("timelines/postgresql-blackhole-inflight.svg");
    assertThat(dir.resolve("timelines/mysql-blackhole-idle.svg")).doesNotExist();
    String text = Files.readString(svg);
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    assertThat(f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))
        .getDocumentElement().getLocalName()).isEqualTo("svg");
    assertThat(text).contains(">fault<", "kernel verdict +3.00 s", "statement in flight: 3.43 s, error 08006",
        "statement in flight: 10.02 s, blocked", ">baseline<", ">Lifeline<", "still blocked at the end");
    int base = text.indexOf(">baseline<");
    int life = text.indexOf(">Lifeline<");
    assertThat(base).as("baseline above Lifeline").isLessThan(life);
  }

  @Test
  void tablesMarkLowerBoundsAndInFlightFailures(@TempDir Path dir) throws Exception {
    String md = Table.markdown(sample());
    assertThat(md).startsWith("| scenario |").contains("| postgresql blackhole-inflight | ≥10.02 | **3.43** |",
        "| 0 | **0 (1)** |", "| mysql blackhole-idle | skipped: fault injection needs root");
    String text = Table.text(sample());
    assertThat(text).contains("≥10.02 / 3.43", "0 / 0 (1)", "skipped: fault injection needs root");
  }
}
