// An empty list of label columns (`"label_column": []` in a job file or a checkpoint's settings,
// `--label-column ""`), found by fuzzing checkpoints: with an output layer left to `auto` it made
// an output of zero units and trapped while the rows were prepared; it is refused by name.

import DLData
import DLTestSupport
import DLTraining
import XCTest

final class EmptyLabelListTests: XCTestCase {
    func testAnEmptyLabelListIsRefused() {
        var settings = JobSettings()
        settings.data = Repository.root + "/Tests/Fuzz/data/rows.csv"
        settings.features = ["x1", "x2", "x3"]
        settings.labelColumn = []
        settings.layers = "5:tanh,auto"
        settings.loss = "auto"
        XCTAssertThrowsError(try TrainingJob(settings)) { error in
            XCTAssertEqual(error as? DataError, .noLabelColumns(path: settings.data))
        }
    }
}
