"""Files for Excel and other programs: workbooks and CSV (`workbooks`) and the filtered lists as files (`lists`)."""
